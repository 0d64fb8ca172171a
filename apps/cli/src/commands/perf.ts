/**
 * `strata perf produce|consume|e2e`: throughput and latency of this machine's broker, like Kafka's
 * producer/consumer perf tools. Progress lines go to stderr every --progress-interval ms; the
 * summary (throughput, latency percentiles, client CPU, every setting used) goes to stdout, as one
 * JSON document with --json. SIGINT/SIGTERM end a run early with the summary of what was done.
 */
import { Argument, Option, type Command } from 'commander';
import type { Acks, CompressionName } from '@strata/client';
import { integer, parseAcks, positiveNumber, topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';
import { consumePerf, type ConsumeMode } from '../perf/consume-perf';
import { e2ePerf } from '../perf/e2e-perf';
import { formatSummary, type PerfSummary } from '../perf/perf-report';
import { producePerf } from '../perf/produce-perf';

interface CommonOptions {
  records?: number;
  duration?: number;
  progressInterval: number;
}

interface ProduceOptions extends CommonOptions {
  recordSize: number;
  partitions?: number;
  acks: Acks;
  linger?: number;
  batchSize?: number;
  compression?: CompressionName;
  maxInFlightRequests?: number;
  idempotence?: boolean;
  inFlight: number;
  messagesPerSend: number;
  rate?: number;
}

interface ConsumeOptions extends CommonOptions {
  group?: string;
  mode: ConsumeMode;
  maxBytesPerPartition: number;
}

interface E2eOptions {
  rate: number;
  duration: number;
  warmup: number;
  recordSize: number;
  partitions?: number;
  acks: Acks;
  linger: number;
  maxWait: number;
  progressInterval: number;
}

const progressOption = (): Option => new Option('--progress-interval <ms>', 'print a progress line every <ms> milliseconds on stderr (0: none)').default(1000).argParser(integer(0));

/** Registers `strata perf` and its subcommands on `program`. */
export function registerPerfCommand(program: Command, runtime: CliRuntime): void {
  const perf = program.command('perf').description('measure throughput and latency: produce, consume, end-to-end');

  perf
    .command('produce')
    .description('send records as fast as possible (or at --rate) and report throughput and send latency')
    .addArgument(new Argument('<topic>', 'topic to write to (created if missing)').argParser(topicName))
    .addOption(new Option('-n, --records <n>', 'records to send (default: 1000000, or unlimited with --duration)').argParser(integer(1)))
    .addOption(new Option('-d, --duration <seconds>', 'send for this long').argParser(positiveNumber))
    .addOption(new Option('-s, --record-size <bytes>', 'value size in bytes (text-like values, no key)').default(100).argParser(integer(0, 64 * 1024 * 1024)))
    .addOption(new Option('-p, --partitions <n>', 'partitions when the topic is created (an existing topic keeps its own)').argParser(integer(1, 1_000_000)))
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements: 0, 1, all').default('all').argParser(parseAcks))
    .addOption(new Option('--linger <ms>', 'producer lingerMs (default: the SDK default, 0: adaptive batching)').argParser(integer(0)))
    .addOption(new Option('--batch-size <bytes>', 'producer batchSize (default: the SDK default, 1048576)').argParser(integer(64)))
    .addOption(new Option('--compression <codec>', 'producer compression').choices(['none', 'gzip', 'snappy']))
    .addOption(new Option('--max-in-flight-requests <n>', 'producer maxInFlightRequests (default: 5)').argParser(integer(1)))
    .option('--no-idempotence', 'turn the producer\'s idempotence off')
    .addOption(new Option('--in-flight <n>', 'send() calls outstanding at once').default(64).argParser(integer(1, 100_000)))
    .addOption(new Option('--messages-per-send <n>', 'records per send() call').default(2000).argParser(integer(1, 10_000_000)))
    .addOption(new Option('--rate <n>', 'send at most <n> records per second').argParser(positiveNumber))
    .addOption(progressOption())
    .addHelpText('after', '\nExample:\n  strata perf produce perf-test --records 1000000 --record-size 100 --acks 1 --linger 5 --batch-size 1048576')
    .action(
      runtime.action((ctx, topic: string, o: ProduceOptions) =>
        report(
          ctx,
          producePerf(ctx, topic, {
            records: o.records ?? (o.duration === undefined ? 1_000_000 : null),
            durationMs: o.duration === undefined ? null : o.duration * 1000,
            recordSize: o.recordSize,
            ...(o.partitions === undefined ? {} : { partitions: o.partitions }),
            acks: o.acks,
            ...(o.linger === undefined ? {} : { lingerMs: o.linger }),
            ...(o.batchSize === undefined ? {} : { batchSize: o.batchSize }),
            ...(o.compression === undefined ? {} : { compression: o.compression }),
            ...(o.maxInFlightRequests === undefined ? {} : { maxInFlightRequests: o.maxInFlightRequests }),
            ...(o.idempotence === false ? { idempotent: false } : {}),
            inFlight: o.inFlight,
            messagesPerSend: o.messagesPerSend,
            rate: o.rate ?? null,
            progressMs: o.progressInterval,
          }),
        ),
        { interruptible: true },
      ),
    );

  perf
    .command('consume')
    .description('read records as fast as possible and report throughput')
    .addArgument(new Argument('<topic>', 'topic to read').argParser(topicName))
    .addOption(new Option('-n, --records <n>', 'stop after this many records (default: the end offsets observed at start)').argParser(integer(1)))
    .addOption(new Option('-d, --duration <seconds>', 'stop after this long').argParser(positiveNumber))
    .addOption(new Option('-g, --group <id>', 'read as a member of this consumer group (default: assign mode, every partition from its start)'))
    .addOption(new Option('--mode <mode>', 'how the SDK hands records over').choices(['batches', 'each-batch', 'each-message']).default('batches'))
    .addOption(new Option('--max-bytes-per-partition <bytes>', 'consumer maxBytesPerPartition').default(8 * 1024 * 1024).argParser(integer(1024)))
    .addOption(progressOption())
    .addHelpText('after', '\nExample:\n  strata perf consume perf-test --group perf-readers')
    .action(
      runtime.action(
        (ctx, topic: string, o: ConsumeOptions) =>
          report(
            ctx,
            consumePerf(ctx, topic, {
              records: o.records ?? null,
              durationMs: o.duration === undefined ? null : o.duration * 1000,
              group: o.group ?? null,
              mode: o.mode,
              maxBytesPerPartition: o.maxBytesPerPartition,
              progressMs: o.progressInterval,
            }),
          ),
        { interruptible: true },
      ),
    );

  perf
    .command('e2e')
    .description('end-to-end latency (send() to the record in a consumer) at a steady rate')
    .addArgument(new Argument('<topic>', 'topic to use (created if missing)').argParser(topicName))
    .addOption(new Option('-r, --rate <n>', 'records per second').default(1000).argParser(positiveNumber))
    .addOption(new Option('-d, --duration <seconds>', 'measured seconds').default(10).argParser(positiveNumber))
    .addOption(new Option('-w, --warmup <seconds>', 'seconds sent first and not counted (JIT, connections, caches)').default(5).argParser(nonNegativeNumber))
    .addOption(new Option('-s, --record-size <bytes>', 'value size in bytes (at least 8: the send time)').default(100).argParser(integer(8, 64 * 1024 * 1024)))
    .addOption(new Option('-p, --partitions <n>', 'partitions when the topic is created').argParser(integer(1, 1_000_000)))
    .addOption(new Option('-a, --acks <acks>', 'acknowledgements: 0, 1, all').default(1).argParser(parseAcks))
    .addOption(new Option('--linger <ms>', 'producer lingerMs').default(0).argParser(integer(0)))
    .addOption(new Option('--max-wait <ms>', 'consumer maxWaitMs (how long a fetch waits at the end of the log)').default(500).argParser(integer(0)))
    .addOption(progressOption())
    .addHelpText('after', '\nExample:\n  strata perf e2e perf-latency --rate 1000 --duration 10')
    .action(
      runtime.action(
        (ctx, topic: string, o: E2eOptions) =>
          report(
            ctx,
            e2ePerf(ctx, topic, {
              rate: o.rate,
              durationMs: o.duration * 1000,
              warmupMs: o.warmup * 1000,
              recordSize: o.recordSize,
              ...(o.partitions === undefined ? {} : { partitions: o.partitions }),
              acks: o.acks,
              lingerMs: o.linger,
              maxWaitMs: o.maxWait,
              progressMs: o.progressInterval,
            }),
          ),
        { interruptible: true },
      ),
    );
}

function nonNegativeNumber(value: string): number {
  return value.trim() === '0' ? 0 : positiveNumber(value);
}

async function report(ctx: CommandContext, run: Promise<PerfSummary>): Promise<void> {
  const summary = await run;
  if (ctx.options.json) await ctx.out.json(summary);
  else await ctx.out.line(formatSummary(summary));
}
