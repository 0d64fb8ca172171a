/**
 * Replicated produce throughput: a cluster of real processes on this machine (etcd and N broker
 * binaries from @strata/tools-kit's LocalCluster, a topic with replication factor N, acks=all)
 * next to one broker without etcd, measured in the same run with the same client and the same
 * records. Every run starts fresh processes with empty data folders; rows report the median of
 * the runs and the cluster's ratio to the single node.
 *
 *   npm run cluster-throughput -w @strata/bench -- --records 1000000 --runs 3 --brokers 3
 *
 * Two producer shapes per setup: "default options" (`strata.producer()` as a new user creates it,
 * 8 `send()` calls of 1,000 records in flight) and "tuned" (batchSize 1 MiB, lingerMs 5, 64 sends
 * of 2,000 in flight — the options of docs/benchmarks.md's headline rows). Brokers keep their
 * default settings (durability, min.insync.replicas); the topic has as many partitions as brokers
 * so every broker leads one. All three processes per broker share this machine's cores with the
 * client: the figure is a floor for separate machines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger, type ProducerOptions } from '@strata/client';
import { LocalCluster } from '@strata/tools-kit';
import { BenchBroker } from './broker-process';
import { fmt, median } from './stats';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    size: { type: 'string', default: '100' },
    brokers: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    profile: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (args.help) {
  process.stdout.write(`npm run cluster-throughput -w @strata/bench -- [--records N] [--runs N] [--size BYTES] [--brokers N] [--json] [--only default|tuned] [--profile DIR]\n`);
  process.exit(0);
}

const RECORDS = Number(args.records);
const RUNS = Number(args.runs);
const SIZE = Number(args.size);
const BROKERS = Number(args.brokers);
for (const [name, v] of [['records', RECORDS], ['runs', RUNS], ['size', SIZE], ['brokers', BROKERS]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${String(v)}`);
}

interface Shape {
  name: string;
  options: ProducerOptions;
  perSend: number;
  inFlight: number;
}

const ALL_SHAPES: Array<Shape & { key: string }> = [
  { key: 'default', name: 'default options, 8 sends of 1,000 in flight', options: {}, perSend: 1000, inFlight: 8 },
  { key: 'tuned', name: 'tuned (batchSize 1 MiB, lingerMs 5, 64 sends of 2,000)', options: { batchSize: 1_048_576, lingerMs: 5 }, perSend: 2000, inFlight: 64 },
];
const SHAPES = args.only ? ALL_SHAPES.filter((s) => s.key === args.only) : ALL_SHAPES;
if (SHAPES.length === 0) throw new Error(`--only must be default or tuned, got ${args.only}`);
/** --profile DIR: every process of the cluster writes a V8 CPU profile there (node --cpu-prof). */
const NODE_ARGS = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : undefined;

/** Produces RECORDS records with acks=all round-robin over `partitions`; returns msgs/s. */
async function produce(urls: string[], partitions: number, shape: Shape, topic: string): Promise<number> {
  const strata = new Strata({ brokers: urls, clientId: 'cluster-bench', logger: silentLogger });
  const producer = strata.producer(shape.options);
  await producer.connect();
  const value = new Uint8Array(SIZE).fill(120);
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < RECORDS) {
      const n = Math.min(shape.perSend, RECORDS - next);
      const base = next;
      next += n;
      const messages = new Array<{ value: Uint8Array; partition: number }>(n);
      for (let i = 0; i < n; i++) messages[i] = { value, partition: (base + i) % partitions };
      await producer.send({ topic, messages, acks: -1 });
    }
  };
  await Promise.all(Array.from({ length: shape.inFlight }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await producer.disconnect();
  return RECORDS / seconds;
}

async function createTopic(urls: string[], topic: string, partitions: number, replicationFactor: number): Promise<void> {
  const strata = new Strata({ brokers: urls, clientId: 'cluster-bench-admin', logger: silentLogger });
  const admin = strata.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }] });
  // Wait until every partition has a leader and a full ISR, so the run measures replication, not election.
  for (let i = 0; i < 300; i++) {
    const { topics: [t] } = await admin.describeTopics({ topics: [topic] });
    if (t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0 && p.isr.length === replicationFactor)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.disconnect();
}

async function singleNode(shape: Shape): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cluster-bench-single-'));
  const broker = new BenchBroker(dir, {}, NODE_ARGS);
  await broker.start();
  try {
    await createTopic([broker.url], 'bench', BROKERS, 1);
    return await produce([broker.url], BROKERS, shape, 'bench');
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function replicated(shape: Shape): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cluster-bench-'));
  const cluster = new LocalCluster({ brokers: BROKERS, dataDir: dir, ...(NODE_ARGS ? { nodeArgs: NODE_ARGS } : {}) });
  try {
    await cluster.start();
    await createTopic(cluster.urls, 'bench', BROKERS, BROKERS);
    return await produce(cluster.urls, BROKERS, shape, 'bench');
  } finally {
    await cluster.stop().catch(() => cluster.kill());
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: Array<{ shape: string; single: number; cluster: number; ratio: number; runs: { single: number[]; cluster: number[] } }> = [];
  for (const shape of SHAPES) {
    const single: number[] = [];
    const cluster: number[] = [];
    // Interleaved, so that both setups see the same machine load over the runs.
    for (let r = 0; r < RUNS; r++) {
      single.push(await singleNode(shape));
      cluster.push(await replicated(shape));
      process.stderr.write(`${shape.name}: run ${r + 1}/${RUNS}: single ${fmt(single.at(-1)!)} msgs/s, ${BROKERS} brokers RF=${BROKERS} ${fmt(cluster.at(-1)!)} msgs/s\n`);
    }
    rows.push({ shape: shape.name, single: median(single), cluster: median(cluster), ratio: median(cluster) / median(single), runs: { single, cluster } });
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ records: RECORDS, size: SIZE, brokers: BROKERS, runs: RUNS, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`\nacks=all, ${SIZE}-byte records, ${fmt(RECORDS)} per run, ${BROKERS} partitions, median of ${RUNS} runs\n\n`);
  process.stdout.write(`| producer | 1 broker, no etcd | ${BROKERS} brokers, RF=${BROKERS} | ratio |\n|---|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| ${r.shape} | ${fmt(r.single)} msgs/s | ${fmt(r.cluster)} msgs/s | ${(100 * r.ratio).toFixed(0)}% |\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
