/**
 * Produce and consume throughput of Strata on this machine: the built broker binary in its own
 * process, one client process (this one), loopback. For each value size, each run starts a fresh
 * broker with an empty data folder, produces N records, then reads them all back; the table
 * reports the median of the runs.
 *
 *   npm run bench -- --records 1000000 --sizes 100,1000 --runs 3 --acks 1,all
 *
 * With --producer-matrix it measures producer throughput over lingerMs x batchSize x compression
 * x acks x value size instead (see producer-matrix.ts); --help lists the flags.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger } from '@strata/client';
import type { CompressionName } from '@strata/client';
import { BenchBroker } from './broker-process';
import { runCompare, runDefaults } from './compare/run-compare';
import { producerMatrix } from './producer-matrix';
import { fmt, median } from './stats';

interface RunResult {
  seconds: number;
  clientCpu: number;
  brokerCpu: number;
}

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    sizes: { type: 'string', default: '100,1000' },
    runs: { type: 'string', default: '3' },
    acks: { type: 'string', default: '1,all' },
    partitions: { type: 'string', default: '1' },
    'batch-messages': { type: 'string', default: '2000' },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
    'producer-matrix': { type: 'boolean', default: false },
    linger: { type: 'string', default: '0,5' },
    'batch-size': { type: 'string', default: '65536,1048576' },
    compression: { type: 'string', default: 'none,snappy,gzip' },
    suite: { type: 'boolean', default: false },
    peers: { type: 'string' },
    all: { type: 'boolean', default: false },
    'suite-partitions': { type: 'string', default: '1,6' },
    'e2e-rate': { type: 'string', default: '1000' },
    'e2e-seconds': { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '5' },
    out: { type: 'string' },
    defaults: { type: 'boolean', default: false },
    'usage-records': { type: 'string', default: '200000' },
    help: { type: 'boolean', default: false },
  },
});

const HELP = `Strata benchmarks (the broker binary must be built: npm run bench builds everything first)

  npm run bench -- [flags]                    produce then consume N records per run (table per size x acks)
  npm run bench -- --producer-matrix [flags]  producer throughput over linger x batch size x compression x acks x size
  npm run bench -- --suite [flags]            the comparison suite for Strata alone; writes docs/benchmarks.md + .svg
  npm run bench -- --peers redis,nats,rabbitmq [flags]   the suite with peers (Debian packages installed if missing)
  npm run bench -- --all [flags]              the suite with every peer
  npm run bench -- --defaults [--peers redis] only the default-options rows (SDK defaults, called as a new user does)

  --records N           records per run (default 1000000)
  --sizes A,B           value sizes in bytes (default 100,1000)
  --runs N              runs per row; the median is reported (default 3)
  --acks 1,all          acknowledgements (0, 1, all) (default 1,all)
  --partitions N        partitions of the topic (default 1)
  --batch-messages N    messages per send() call (default 2000)
  --concurrency N       send() calls in flight (default 4; 64 with --producer-matrix)
  --linger A,B          producer lingerMs values (matrix; default 0,5)
  --batch-size A,B      producer batchSize values in bytes (matrix; default 65536,1048576)
  --compression A,B     none, gzip, snappy (matrix; default none,snappy,gzip)
  --json                print JSON instead of a table
  --suite-partitions A,B  partition counts of the suite (default 1,6)
  --e2e-rate N          suite: end-to-end records per second (default 1000)
  --e2e-seconds N       suite: measured end-to-end seconds (default 10)
  --warmup-seconds N    suite: end-to-end warm-up seconds, not counted (default 5)
  --usage-records N     suite and --defaults: records per default-options pattern (default 200000)
  --out FILE            suite: the page to write (default docs/benchmarks.md; the chart goes beside it)
`;

if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const RECORDS = Number(args.records);
const SIZES = args.sizes!.split(',').map(Number);
const RUNS = Number(args.runs);
const ACKS = args.acks!.split(',').map((a) => (a === 'all' ? -1 : Number(a)) as -1 | 0 | 1);
const PARTITIONS = Number(args.partitions);
const PER_SEND = Number(args['batch-messages']);
// The matrix keeps more sends in flight: with 1 MiB batches, 4 sends of 2,000 small messages
// cannot even fill one batch, and the figure would measure the benchmark's own loop.
const CONCURRENCY = Number(args.concurrency ?? (args['producer-matrix'] ? '64' : '4'));

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function measure(broker: BenchBroker, fn: () => Promise<void>): Promise<RunResult> {
  const c0 = cpu();
  const b0 = broker.cpuSeconds();
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, clientCpu: cpu() - c0, brokerCpu: broker.cpuSeconds() - b0 };
}

async function runOnce(size: number, acks: -1 | 0 | 1): Promise<{ produce: RunResult; consume: RunResult }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-'));
  const broker = new BenchBroker(dataDir, { durability: 'fsync' });
  await broker.start();
  try {
    const strata = new Strata({ brokers: [broker.url], clientId: 'bench', logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const value = new Uint8Array(size).fill(120);
    const producer = strata.producer();
    await producer.connect();
    let next = 0;
    const produce = await measure(broker, async () => {
      const worker = async () => {
        while (next < RECORDS) {
          const n = Math.min(PER_SEND, RECORDS - next);
          const base = next;
          next += n;
          const messages = new Array(n);
          for (let i = 0; i < n; i++) messages[i] = { value, partition: (base + i) % PARTITIONS };
          await producer.send({ topic: 'bench', messages, acks });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    });
    await producer.disconnect();

    const consumer = strata.consumer({ maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
    await consumer.connect();
    consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'bench', partition, fromBeginning: true })));
    let seen = 0;
    let bytes = 0;
    const consume = await measure(broker, async () => {
      for await (const batch of consumer.batches()) {
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        seen += batch.messages.length;
        if (seen >= RECORDS) break;
      }
    });
    await consumer.disconnect();
    if (seen < RECORDS || bytes < RECORDS * size) throw new Error(`read back ${seen} records, expected ${RECORDS}`);
    return { produce, consume };
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Row {
  workload: string;
  size: number;
  acks: string;
  msgsPerSec: number;
  mbPerSec: number;
  clientCpuPct: number;
  brokerCpuPct: number;
}

function row(workload: string, size: number, acks: string, results: RunResult[]): Row {
  const secs = median(results.map((r) => r.seconds));
  return {
    workload,
    size,
    acks,
    msgsPerSec: RECORDS / secs,
    mbPerSec: (RECORDS * size) / secs / 1e6,
    clientCpuPct: median(results.map((r) => (100 * r.clientCpu) / r.seconds)),
    brokerCpuPct: median(results.map((r) => (100 * r.brokerCpu) / r.seconds)),
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    for (const acks of ACKS) {
      const produce: RunResult[] = [];
      const consume: RunResult[] = [];
      for (let r = 0; r < RUNS; r++) {
        const res = await runOnce(size, acks);
        produce.push(res.produce);
        consume.push(res.consume);
        process.stderr.write(`size=${size} acks=${acks} run ${r + 1}/${RUNS}: produce ${fmt(RECORDS / res.produce.seconds)} msg/s, consume ${fmt(RECORDS / res.consume.seconds)} msg/s\n`);
      }
      const acksName = acks === -1 ? 'all (fsync)' : String(acks);
      rows.push(row('produce', size, acksName, produce), row('consume', size, acksName, consume));
    }
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ records: RECORDS, runs: RUNS, partitions: PARTITIONS, perSend: PER_SEND, concurrency: CONCURRENCY, rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`\n${fmt(RECORDS)} records, ${PARTITIONS} partition(s), ${PER_SEND} messages per send, ${CONCURRENCY} sends in flight, median of ${RUNS} runs\n\n`);
  process.stdout.write('| workload | value bytes | acks | msgs/s | MB/s | client CPU % | broker CPU % |\n| --- | ---: | --- | ---: | ---: | ---: | ---: |\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.workload} | ${r.size} | ${r.acks} | ${fmt(r.msgsPerSec)} | ${fmt(r.mbPerSec, 1)} | ${fmt(r.clientCpuPct)} | ${fmt(r.brokerCpuPct)} |\n`);
  }
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').filter((x) => x.length > 0);

const peers = args.all ? ['redis', 'nats', 'rabbitmq'] : list(args.peers);
const suite = args.suite || args.all || args.peers !== undefined;

(suite || args.defaults
  ? (args.defaults ? runDefaults : runCompare)({
      records: RECORDS,
      runs: RUNS,
      sizes: SIZES,
      partitions: list(args['suite-partitions']).map(Number),
      rate: Number(args['e2e-rate']),
      warmupMs: Number(args['warmup-seconds']) * 1000,
      durationMs: Number(args['e2e-seconds']) * 1000,
      usageRecords: Number(args['usage-records']),
      peers: peers.filter((p) => p !== 'none'),
      out: args.out ?? join(__dirname, '..', '..', '..', 'docs', 'benchmarks.md'),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    })
  : args['producer-matrix']
  ? producerMatrix({
      records: RECORDS,
      runs: RUNS,
      partitions: PARTITIONS,
      perSend: PER_SEND,
      concurrency: CONCURRENCY,
      sizes: SIZES,
      acks: ACKS,
      lingers: list(args.linger).map(Number),
      batchSizes: list(args['batch-size']).map(Number),
      compressions: list(args.compression).map((c) => c as CompressionName), // checked by the producer's option validation
      json: args.json ?? false,
    })
  : main()
).catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
