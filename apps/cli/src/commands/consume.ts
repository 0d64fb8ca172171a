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
import { recordOutput, type TextLayout } from '../consume/record-format';
import { consumeAsGroup } from '../consume/group-consume';
import { compileFormat } from '../consume/format-string';
import { planRanges, timestampsOf, type OffsetSpec, type PartitionRange, type StartPosition } from '../consume/start-positions';
import { ABORTED, TICK, settle } from '../core/settle';
import { CliUsageError } from '../core/cli-errors';

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
  format?: string;
}

/** Registers `strata consume` on `program`. */
export function registerConsumeCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('consume')
    .description('print records of a topic, one per line')
    .addArgument(new Argument('<topic>', 'topic to read').argParser(topicName))
    .addOption(new Option('--from-beginning', 'start at the first offset still in the log').conflicts(['fromEnd', 'offset']))
    .addOption(new Option('--from-end', 'start at the end: only records produced from now on (the default)').conflicts(['offset']))
    .addOption(
      new Option('-o, --offset <[partition:]position>', 'start at: an offset N, beginning, end, -N (N records before the end) or @TIME (ms since the epoch or an ISO date); in every partition, or in partition P with P:POS (repeatable)').argParser(
        collect(parseOffsetSpec),
      ),
    )
    .addOption(new Option('-p, --partition <n>', 'read only this partition (repeatable, or comma-separated; default: all)').argParser(collectList(integer(0))))
    .option('-f, --follow', 'keep waiting for new records (default: exit once the end observed at start is reached)')
    .addOption(new Option('-n, --max-messages <n>', 'exit after printing this many records').argParser(integer(1)))
    .addOption(new Option('-k, --key-separator <sep>', 'print "key<sep>value" (just the value for a null key), as produce --key-separator reads it').argParser(separator).conflicts(['valueOnly', 'format']))
    .addOption(new Option('--value-only', 'print only the value of each record').conflicts(['format']))
    .addOption(new Option('-F, --format <fmt>', 'print each record with this format: %t topic, %p partition, %o offset, %k key, %v value, %T timestamp, %h headers, %K/%S key/value length, \\n newline (kcat-style)').argParser(checkedFormat))
    .addOption(
      new Option('-g, --group <id>', "consume as a member of this consumer group: start at the group's committed offsets, share partitions with its other members, commit what is printed").conflicts([
        'offset',
        'partition',
      ]),
    )
    .addHelpText(
      'after',
      `
Output: one line per record, "partition<TAB>offset<TAB>key<TAB>value" (empty for a null key or
value), a --format string, or with --json one object per line: topic, partition, offset,
timestamp, key, value, headers.

Examples:
  strata consume orders --from-beginning
  strata consume orders --partition 0 --offset 42 --max-messages 10
  strata consume orders -o -5 --format '%p:%o %k=%v %h\n'
  strata consume orders -o @2026-01-01T00:00:00Z
  strata consume orders --follow --json
  strata consume orders --group billing --from-beginning`,
    )
    .action(runtime.action((ctx, topic: string, options: ConsumeOptions) => consume(ctx, topic, options), { interruptible: true }));
}

const POSITION_HELP = 'expected N, beginning, end, -N or @TIME (ms since the epoch or an ISO date), optionally after P: for partition P.';

/** `[P:]POS` with POS an offset, beginning / earliest, end / latest, -N, or @TIME (kcat's s@TIME too). */
export function parseOffsetSpec(value: string): OffsetSpec {
  const m = /^\s*(?:(\d+)\s*:\s*)?(\S+)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError(POSITION_HELP);
  const partition = m[1] === undefined ? null : Number(m[1]);
  if (partition !== null && !Number.isSafeInteger(partition)) throw new InvalidArgumentError('partition too large.');
  return { partition, position: parsePosition(m[2]!) };
}

function parsePosition(p: string): StartPosition {
  if (p === 'beginning' || p === 'earliest') return { kind: 'beginning' };
  if (p === 'end' || p === 'latest') return { kind: 'end' };
  const safe = (n: number): number => {
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('offset too large.');
    return n;
  };
  if (/^\d+$/.test(p)) return { kind: 'offset', offset: safe(Number(p)) };
  if (/^-\d+$/.test(p)) return { kind: 'from-end', count: safe(-Number(p)) };
  const at = /^s?@(.+)$/.exec(p);
  if (at) {
    const t = at[1]!;
    const timestamp = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new InvalidArgumentError(`"${t}" is not a time: expected milliseconds since the epoch or an ISO date such as 2026-01-31T12:00:00Z.`);
    return { kind: 'timestamp', timestamp };
  }
  throw new InvalidArgumentError(POSITION_HELP);
}

/** Validates a --format string while the options are parsed, so that a bad one is a usage error (exit code 2). */
function checkedFormat(value: string): string {
  compileFormat(value);
  return value;
}

async function consume(ctx: CommandContext, topic: string, options: ConsumeOptions): Promise<void> {
  if (options.format !== undefined && ctx.options.json) throw new CliUsageError('--format and --json exclude each other');
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
  const offsets = options.offset ?? [];
  const timestampOffsets = new Map<number, Map<number, number>>();
  for (const ts of timestampsOf(offsets)) {
    timestampOffsets.set(ts, new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ts)).map((p) => [p.partition, p.offset])));
  }
  const ranges = planRanges({ topic, fromBeginning: options.fromBeginning === true, offsets, partitions: options.partition ?? [], timestampOffsets }, observed);
  const follow = options.follow === true;
  const active = follow ? ranges : ranges.filter((r) => r.start < r.end);
  if (active.length === 0 || ctx.signal.aborted) return;

  const consumer = await ctx.consumer({ autoOffsetReset: 'earliest' });
  consumer.assign(active.map((r) => ({ topic, partition: r.partition, offset: r.start })));
  await printRecords(ctx, consumer, topic, active, { follow, maxMessages: options.maxMessages ?? Number.POSITIVE_INFINITY, layout: layoutOf(options) });
}

function layoutOf(options: ConsumeOptions): TextLayout {
  if (options.format !== undefined) return { kind: 'format', format: compileFormat(options.format) };
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
    output += recordOutput(message, json, layout);
    count++;
  }
  return { output, count };
}
