/**
 * `strata produce <topic>`: one record per line of stdin, sent in batches (see BatchSender), with
 * an optional key separator, fixed partition and headers. SIGINT/SIGTERM end the input like EOF:
 * lines already read are sent, the summary printed, exit code 0.
 */
import { Argument, Option, type Command } from 'commander';
import type { Acks, ProducerMessage } from '@strata/client';
import { readChunks } from '../core/read-chunks';
import { collect, integer, keyValue, parseAcks, separator, topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';
import { BatchSender, type PartitionSummary } from '../produce/batch-sender';
import { LineSplitter } from '../produce/line-splitter';

interface ProduceOptions {
  keySeparator?: string;
  partition?: number;
  header?: Array<[string, string]>;
  acks: Acks;
  skipEmptyLines?: boolean;
  batchSize: number;
}

/** Most key and value bytes waiting for the next send before reading pauses. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Registers `strata produce` on `program`. */
export function registerProduceCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('produce')
    .description('send each line of stdin as a record')
    .addArgument(new Argument('<topic>', 'topic to write to').argParser(topicName))
    .addOption(new Option('-k, --key-separator <sep>', 'split each line into key and value at the first <sep> (\\t for a tab); a line without it has a null key').argParser(separator))
    .addOption(new Option('-p, --partition <n>', 'write every record to this partition (default: by key, sticky without a key)').argParser(integer(0)))
    .addOption(new Option('-H, --header <key=value>', 'header added to every record (repeatable)').argParser(collect(keyValue)))
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements: 0 (none), 1 (leader), all (durable)').default('all').argParser(parseAcks))
    .option('--skip-empty-lines', 'do not send empty lines')
    .addOption(new Option('--batch-size <n>', 'most records per request').default(10_000).argParser(integer(1)))
    .addHelpText(
      'after',
      `
The summary (records, and per partition the count and last offset) goes to stderr, or to stdout as
JSON with --json.

Examples:
  printf 'hello\\nworld\\n' | strata produce greetings
  printf 'user-1:login\\nuser-2:logout\\n' | strata produce events --key-separator :`,
    )
    .action(runtime.action((ctx, topic: string, options: ProduceOptions) => produce(ctx, topic, options), { interruptible: true }));
}

async function produce(ctx: CommandContext, topic: string, options: ProduceOptions): Promise<void> {
  // A missing topic is created only if the broker allows it (auto.create.topics.enable).
  const producer = await ctx.producer();
  const sender = new BatchSender({ producer, topic, acks: options.acks, maxBatchRecords: options.batchSize, maxBatchBytes: MAX_BATCH_BYTES });
  const toMessage = messageBuilder(options);
  const splitter = new LineSplitter();

  const add = (line: Buffer): void => {
    if (options.skipEmptyLines && line.length === 0) return;
    const [message, bytes] = toMessage(line);
    sender.add(message, bytes);
  };
  for await (const chunk of readChunks(ctx.stdin, ctx.signal)) {
    for (const line of splitter.push(chunk)) add(line);
    await sender.waitForRoom();
  }
  const last = splitter.end();
  if (last) add(last);
  await sender.flush();

  const partitions = sender.summary();
  if (ctx.options.json) await ctx.out.json({ topic, records: sender.records, partitions });
  else ctx.out.note(formatSummary(topic, sender.records, partitions));
}

/** Turns a line into a record (and its size) as the options say. */
function messageBuilder(options: ProduceOptions): (line: Buffer) => [ProducerMessage, number] {
  const headers = options.header?.map(([key, value]) => ({ key, value })) ?? null;
  const sep = options.keySeparator === undefined ? null : Buffer.from(options.keySeparator, 'utf8');
  const partition = options.partition;
  return (line) => {
    let key: Buffer | null = null;
    let value = line;
    if (sep) {
      const at = line.indexOf(sep);
      if (at >= 0) {
        key = line.subarray(0, at);
        value = line.subarray(at + sep.length);
      }
    }
    const message: ProducerMessage = { key, value };
    if (headers) message.headers = headers;
    if (partition !== undefined) message.partition = partition;
    return [message, line.length];
  };
}

function formatSummary(topic: string, records: number, partitions: readonly PartitionSummary[]): string {
  const lines = [`produced ${records} record${records === 1 ? '' : 's'} to topic "${topic}"`];
  for (const p of partitions) {
    const last = p.lastOffset === null ? 'offset unknown with acks=0' : `last offset ${p.lastOffset}`;
    lines.push(`  partition ${p.partition}: ${p.records} record${p.records === 1 ? '' : 's'}, ${last}`);
  }
  return lines.join('\n');
}
