/**
 * `strata consume <topic>`: prints records of a topic's partitions in assign mode (no group), or
 * with --group as a member of a consumer group (group-consume.ts).
 *
 * Without --follow it reads up to the high watermarks observed at start and exits; with --follow it
 * keeps waiting for new records until interrupted. SIGINT/SIGTERM and a closed stdout end it
 * cleanly (disconnect, exit code 0).
 */
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import type { Consumer, MessageBatch } from '@strata/client';
import { collect, collectList, integer, separator, topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';
import { formatText, toJsonRecord, type TextLayout } from '../consume/record-format';
import { consumeAsGroup } from '../consume/group-consume';
import { planRanges, type OffsetSpec, type PartitionRange } from '../consume/start-positions';
import { ABORTED, TICK, settle } from '../core/settle';

interface ConsumeOptions {
  group?: string;
  fromBeginning?: boolean;
  fromEnd?: boolean;
  offset?: OffsetSpec[];
  partition?: number[];
  follow?: boolean;
  maxMessages?: number;
  keySeparator?: string;
  valueOnly?: boolean;
}

/** Registers `strata consume` on `program`. */
export function registerConsumeCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('consume')
    .description('print records of a topic, one per line')
    .addArgument(new Argument('<topic>', 'topic to read').argParser(topicName))
    .addOption(new Option('--from-beginning', 'start at the first offset still in the log').conflicts(['fromEnd', 'offset']))
    .addOption(new Option('--from-end', 'start at the end: only records produced from now on (the default)').conflicts(['offset']))
    .addOption(new Option('-o, --offset <[partition:]offset>', 'start at this offset in every partition, or in one partition with P:N (repeatable)').argParser(collect(parseOffsetSpec)))
    .addOption(new Option('-p, --partition <n>', 'read only this partition (repeatable, or comma-separated; default: all)').argParser(collectList(integer(0))))
    .option('-f, --follow', 'keep waiting for new records (default: exit once the end observed at start is reached)')
    .addOption(new Option('-n, --max-messages <n>', 'exit after printing this many records').argParser(integer(1)))
    .addOption(new Option('-k, --key-separator <sep>', 'print "key<sep>value" (just the value for a null key), as produce --key-separator reads it').argParser(separator).conflicts(['valueOnly']))
    .option('--value-only', 'print only the value of each record')
    .addOption(
      new Option('-g, --group <id>', "consume as a member of this consumer group: start at the group's committed offsets, share partitions with its other members, commit what is printed").conflicts([
        'offset',
        'partition',
      ]),
    )
    .addHelpText(
      'after',
      `
Output: one line per record, "partition<TAB>offset<TAB>key<TAB>value" (null for a null key or
value), or with --json one object per line: topic, partition, offset, timestamp, key, value, headers.

Examples:
  strata consume orders --from-beginning
  strata consume orders --partition 0 --offset 42 --max-messages 10
  strata consume orders --follow --json
  strata consume orders --group billing --from-beginning`,
    )
    .action(runtime.action((ctx, topic: string, options: ConsumeOptions) => consume(ctx, topic, options), { interruptible: true }));
}

function parseOffsetSpec(value: string): OffsetSpec {
  const m = /^\s*(?:(\d+)\s*:\s*)?(\d+)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected an offset N, or P:N for partition P.');
  const offset = Number(m[2]);
  const partition = m[1] === undefined ? null : Number(m[1]);
  if (!Number.isSafeInteger(offset) || (partition !== null && !Number.isSafeInteger(partition))) throw new InvalidArgumentError('offset too large.');
  return { partition, offset };
}

async function consume(ctx: CommandContext, topic: string, options: ConsumeOptions): Promise<void> {
  if (options.group !== undefined) {
    await consumeAsGroup(ctx, topic, {
      groupId: options.group,
      fromBeginning: options.fromBeginning === true,
      follow: options.follow === true,
      maxMessages: options.maxMessages ?? Number.POSITIVE_INFINITY,
      layout: layoutOf(options),
    });
    return;
  }
  const admin = await ctx.admin();
  const observed = await admin.fetchTopicOffsets(topic);
  const ranges = planRanges(
    { topic, fromBeginning: options.fromBeginning === true, offsets: options.offset ?? [], partitions: options.partition ?? [] },
    observed,
  );
  const follow = options.follow === true;
  const active = follow ? ranges : ranges.filter((r) => r.start < r.end);
  if (active.length === 0 || ctx.signal.aborted) return;

  const consumer = await ctx.consumer({ autoOffsetReset: 'earliest' });
  consumer.assign(active.map((r) => ({ topic, partition: r.partition, offset: r.start })));
  await printRecords(ctx, consumer, topic, active, { follow, maxMessages: options.maxMessages ?? Number.POSITIVE_INFINITY, layout: layoutOf(options) });
}

function layoutOf(options: ConsumeOptions): TextLayout {
  if (options.keySeparator !== undefined) return { kind: 'key-value', separator: options.keySeparator };
  if (options.valueOnly) return { kind: 'value' };
  return { kind: 'fields' };
}

interface PrintOptions {
  follow: boolean;
  maxMessages: number;
  layout: TextLayout;
}

/**
 * How often, without --follow, the positions are checked even when no batch arrives: a partition
 * whose last records were compacted away ends without a batch reaching its end offset.
 */
const CAUGHT_UP_CHECK_MS = 1_000;

/** Prints batches until every partition reached its end (without follow), the limit, or an abort. */
async function printRecords(ctx: CommandContext, consumer: Consumer, topic: string, ranges: readonly PartitionRange[], o: PrintOptions): Promise<void> {
  const ends = new Map(ranges.map((r) => [r.partition, r.end]));
  const reachedEnd = (partition: number): boolean => {
    const end = ends.get(partition);
    return end !== undefined && (consumer.position(topic, partition) ?? -1) >= end;
  };
  const finish = (partition: number): void => {
    ends.delete(partition);
    consumer.pause([{ topic, partitions: [partition] }]);
  };
  let printed = 0;
  const batches = consumer.batches();
  let pending: Promise<IteratorResult<MessageBatch, undefined>> | null = null;
  try {
    for (;;) {
      pending ??= batches.next();
      const next = await settle(pending, ctx.signal, o.follow ? null : CAUGHT_UP_CHECK_MS);
      if (next === ABORTED) break;
      if (next === TICK) {
        for (const partition of [...ends.keys()]) if (reachedEnd(partition)) finish(partition);
        if (ends.size === 0) break;
        continue;
      }
      pending = null;
      if (next.done) break;
      const batch = next.value;
      const end = o.follow ? Number.POSITIVE_INFINITY : (ends.get(batch.partition) ?? 0);
      const text = formatBatch(batch, end, o.maxMessages - printed, ctx.options.json, o.layout);
      printed += text.count;
      await ctx.out.write(text.output);
      if (printed >= o.maxMessages || ctx.signal.aborted) break;
      if (!o.follow && reachedEnd(batch.partition)) {
        finish(batch.partition);
        if (ends.size === 0) break;
      }
    }
  } finally {
    pending?.catch(() => undefined);
    // Ends the iteration (and wakes a next() parked at the end of the log).
    await batches.return?.();
  }
}

/** The output of the batch's records below `end`, at most `limit` of them. */
function formatBatch(batch: MessageBatch, end: number, limit: number, json: boolean, layout: TextLayout): { output: string; count: number } {
  let output = '';
  let count = 0;
  for (const message of batch.messages) {
    if (count >= limit || message.offset >= end) break;
    output += `${json ? JSON.stringify(toJsonRecord(message)) : formatText(message, layout)}\n`;
    count++;
  }
  return { output, count };
}
