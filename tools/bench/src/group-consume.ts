/**
 * Consumer-group figures on this machine, against the built broker binary in its own process:
 *
 * - throughput of one group member reading N records (auto-commit on, its defaults), with
 *   run({ eachBatch }), run({ eachMessage }) and the batches() iterator, timed from run() (the
 *   member joins) until every record read is committed;
 * - join latency: from run() on a fresh member to its first record, for the first member of a
 *   group, and for a member joining a group whose only member is consuming (the coordinator must
 *   revoke a partition from that member first; broker defaults: 5 s heartbeats when settled).
 *
 * Each run starts a fresh broker with an empty data folder; the table reports medians.
 *
 *   npm run build && node tools/bench/dist/group-consume.js --records 2000000 --size 100 --runs 3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger, type Consumer } from '@strata/client';
import { BenchBroker } from './broker-process';
import { fmt, median } from './stats';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '2000000' },
    size: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '1' },
    modes: { type: 'string', default: 'eachBatch,eachMessage,batches' },
    'join-runs': { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const HELP = `Consumer-group benchmark (the broker binary must be built: npm run build)

  --records N      records per throughput run (default 2000000)
  --size N         value size in bytes (default 100)
  --runs N         throughput runs per mode; the median is reported (default 3)
  --partitions N   partitions of the topic (default 1)
  --modes A,B      eachBatch, eachMessage, batches (default all three)
  --join-runs N    join-latency runs (default 3)
  --json           print JSON instead of a table
`;

if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

type Mode = 'eachBatch' | 'eachMessage' | 'batches';
const RECORDS = Number(args.records);
const SIZE = Number(args.size);
const RUNS = Number(args.runs);
const PARTITIONS = Number(args.partitions);
const MODES = args.modes!.split(',').filter((m): m is Mode => m === 'eachBatch' || m === 'eachMessage' || m === 'batches');
const JOIN_RUNS = Number(args['join-runs']);

interface Throughput {
  seconds: number;
  clientCpu: number;
  brokerCpu: number;
  commits: number;
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A fresh broker with a topic of `records` values of SIZE bytes. */
async function withTopic<T>(records: number, partitions: number, body: (broker: BenchBroker, strata: Strata) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-groups-'));
  const broker = new BenchBroker(dataDir, { durability: 'fsync' });
  await broker.start();
  try {
    const strata = new Strata({ brokers: [broker.url], clientId: 'bench-groups', logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: partitions }] });
    await admin.disconnect();
    const producer = strata.producer({ acks: 1, lingerMs: 5, batchSize: 1024 * 1024 });
    await producer.connect();
    const value = new Uint8Array(SIZE).fill(120);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < records) {
        const n = Math.min(2_000, records - next);
        const base = next;
        next += n;
        await producer.send({ topic: 'bench', messages: Array.from({ length: n }, (_, i) => ({ value, partition: (base + i) % partitions })) });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await producer.disconnect();
    return await body(broker, strata);
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function throughputRun(mode: Mode): Promise<Throughput> {
  return withTopic(RECORDS, PARTITIONS, async (broker, strata) => {
    const consumer = strata.consumer({ groupId: 'bench', maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
    await consumer.connect();
    consumer.subscribe({ topics: ['bench'], fromBeginning: true });
    let commits = 0;
    consumer.on('consumer.commit', ({ payload }) => (commits += payload.error || payload.offsets.length === 0 ? 0 : 1));
    let seen = 0;
    let bytes = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const c0 = cpu();
    const b0 = broker.cpuSeconds();
    const t0 = process.hrtime.bigint();
    if (mode === 'batches') {
      for await (const batch of consumer.batches()) {
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        seen += batch.messages.length;
        if (seen >= RECORDS) break;
      }
    } else {
      await consumer.run(
        mode === 'eachBatch'
          ? {
              eachBatch: ({ batch }) => {
                for (const m of batch.messages) bytes += m.value?.length ?? 0;
                seen += batch.messages.length;
                if (seen >= RECORDS) done();
              },
            }
          : {
              eachMessage: ({ message }) => {
                bytes += message.value?.length ?? 0;
                if (++seen >= RECORDS) done();
              },
            },
      );
      await finished;
      await consumer.commitOffsets(); // the clock stops once everything read is committed
    }
    // (batches: leaving the loop committed and left the group already)
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const result = { seconds, clientCpu: cpu() - c0, brokerCpu: broker.cpuSeconds() - b0, commits };
    await consumer.disconnect(); // commits and leaves (not timed)
    if (seen < RECORDS || bytes < RECORDS * SIZE) throw new Error(`read ${seen} records, expected ${RECORDS}`);
    return result;
  });
}

/**
 * Milliseconds from run() to the first record, for a first member and for a member joining a
 * consuming one, while a producer keeps adding records to every partition (on at least 2
 * partitions, so that the second member gets one).
 */
async function joinRun(): Promise<{ first: number; second: number }> {
  const partitions = Math.max(2, PARTITIONS);
  return withTopic(0, partitions, async (_broker, strata) => {
    const producer = strata.producer({ acks: 1, lingerMs: 0 });
    await producer.connect();
    let producing = true;
    const value = new Uint8Array(SIZE).fill(120);
    const stream = (async () => {
      while (producing) {
        await producer.send({ topic: 'bench', messages: Array.from({ length: 10 * partitions }, (_, i) => ({ value, partition: i % partitions })) });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const join = async (): Promise<{ consumer: Consumer; ms: Promise<number> }> => {
      const consumer = strata.consumer({ groupId: 'join-bench' });
      await consumer.connect();
      consumer.subscribe({ topics: ['bench'], fromBeginning: true });
      let first!: (ms: number) => void;
      const ms = new Promise<number>((resolve) => (first = resolve));
      const t0 = performance.now();
      await consumer.run({
        eachBatch: ({ batch }) => {
          if (batch.messages.length > 0) first(performance.now() - t0);
        },
      });
      return { consumer, ms };
    };
    try {
      const a = await join();
      const first = await a.ms;
      const b = await join();
      const second = await b.ms;
      await Promise.all([a.consumer.disconnect(), b.consumer.disconnect()]);
      return { first, second };
    } finally {
      producing = false;
      await stream;
      await producer.disconnect();
    }
  });
}

async function main(): Promise<void> {
  const rows: Array<{ mode: Mode; msgsPerSec: number; mbPerSec: number; clientCpuPct: number; brokerCpuPct: number; commits: number }> = [];
  for (const mode of MODES) {
    const results: Throughput[] = [];
    for (let r = 0; r < RUNS; r++) {
      const res = await throughputRun(mode);
      results.push(res);
      process.stderr.write(`${mode} run ${r + 1}/${RUNS}: ${fmt(RECORDS / res.seconds)} msg/s (${res.commits} commits)\n`);
    }
    const seconds = median(results.map((r) => r.seconds));
    rows.push({
      mode,
      msgsPerSec: RECORDS / seconds,
      mbPerSec: (RECORDS * SIZE) / seconds / 1e6,
      clientCpuPct: median(results.map((r) => (100 * r.clientCpu) / r.seconds)),
      brokerCpuPct: median(results.map((r) => (100 * r.brokerCpu) / r.seconds)),
      commits: median(results.map((r) => r.commits)),
    });
  }
  const joins: Array<{ first: number; second: number }> = [];
  for (let r = 0; r < JOIN_RUNS; r++) {
    const res = await joinRun();
    joins.push(res);
    process.stderr.write(`join run ${r + 1}/${JOIN_RUNS}: first member ${fmt(res.first)} ms, joining member ${fmt(res.second)} ms\n`);
  }
  const join = joins.length > 0 ? { first: median(joins.map((j) => j.first)), second: median(joins.map((j) => j.second)) } : null;
  if (args.json) {
    process.stdout.write(JSON.stringify({ records: RECORDS, size: SIZE, partitions: PARTITIONS, runs: RUNS, rows, joinToFirstRecordMs: join }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`\n${fmt(RECORDS)} records of ${SIZE} bytes, ${PARTITIONS} partition(s), one group member, auto-commit on (defaults), median of ${RUNS} runs\n\n`);
  process.stdout.write('| consumption | msgs/s | MB/s | client CPU % | broker CPU % | commits |\n| --- | ---: | ---: | ---: | ---: | ---: |\n');
  for (const r of rows) process.stdout.write(`| ${r.mode} | ${fmt(r.msgsPerSec)} | ${fmt(r.mbPerSec, 1)} | ${fmt(r.clientCpuPct)} | ${fmt(r.brokerCpuPct)} | ${fmt(r.commits)} |\n`);
  if (join) {
    process.stdout.write(`\nJoin to first record (median of ${JOIN_RUNS}, broker group defaults): first member ${fmt(join.first)} ms; member joining a consuming group ${fmt(join.second)} ms\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
