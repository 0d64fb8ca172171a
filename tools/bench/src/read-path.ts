/**
 * Read-back throughput with DEFAULT consumer options, as a new user reads (issue 11): a fresh broker
 * binary (durability fsync), a topic filled beforehand by a tuned producer, then one group member
 * `strata.consumer({ groupId })` with `subscribe({ fromBeginning: true })` and
 * `run({ eachBatch })` (or eachMessage / the batches() iterator with --modes) reading every record.
 * The clock runs from run() to the last record in the handler (the join is included, as a user
 * sees it); the join-to-first-record time is reported apart. Redis Streams' read-back of the same
 * records (XREAD COUNT 10000, as the comparison suite drives it) is measured in the same run.
 *
 *   npm run build && npm run read-path -w @strata/bench -- --sizes 1000,100 --records 1000000,3000000 --runs 3
 *   ... --profile broker --profile-dir /tmp/prof    (writes the broker's .cpuprofile per run)
 *
 * Output: a table (or --json) of medians: msgs/s, MB/s of values, client and broker CPU %.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Strata, silentLogger } from '@strata/client';
import { fillTopic, list, ownCpuSeconds, withBroker } from './bench-topic';
import { ensurePeerPackages } from './compare/debian';
import { RedisSystem } from './compare/redis-system';
import { fmt, median } from './stats';


const HELP = `Read-back with default consumer options (the broker binary must be built: npm run build)

  --sizes A,B       value sizes in bytes (default 1000,100)
  --records A,B     records per size, in the same order (default 1000000,3000000)
  --partitions N    partitions of the topic (default 1)
  --runs N          runs per row; medians are reported (default 3)
  --modes A,B       eachBatch, eachMessage, batches (default eachBatch)
  --peers redis     peers read back in the same run ('none': Strata only; default redis)
  --profile broker  write the broker's .cpuprofile of every run to --profile-dir
  --json            print JSON instead of a table
`;

type Mode = 'eachBatch' | 'eachMessage' | 'batches';

interface RunFigures {
  records: number;
  seconds: number;
  joinMs: number;
  clientCpu: number;
  serverCpu: number;
}

export interface ReadPathRow {
  system: string;
  mode: string;
  size: number;
  partitions: number;
  msgsPerSec: number;
  mbPerSec: number;
  joinMs: number | null;
  clientCpuPct: number;
  serverCpuPct: number;
  perRunMbPerSec: number[];
}

/** Reads `records` records of `size` bytes from `topic` with a default group consumer. */
async function readDefault(url: string, topic: string, records: number, size: number, mode: Mode): Promise<Omit<RunFigures, 'serverCpu'>> {
  const strata = new Strata({ brokers: [url], clientId: 'bench-read', logger: silentLogger });
  const consumer = strata.consumer({ groupId: `${topic}-readers` });
  await consumer.connect();
  consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const c0 = ownCpuSeconds();
  const t0 = performance.now();
  if (mode === 'batches') {
    for await (const batch of consumer.batches()) {
      if (firstAt === 0) firstAt = performance.now();
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
      seen += batch.messages.length;
      if (seen >= records) break;
    }
    lastAt = performance.now();
  } else {
    await consumer.run(
      mode === 'eachBatch'
        ? {
            eachBatch: ({ batch }) => {
              if (firstAt === 0) firstAt = performance.now();
              for (const m of batch.messages) bytes += m.value?.length ?? 0;
              seen += batch.messages.length;
              if (seen >= records) {
                lastAt = performance.now();
                done();
              }
            },
          }
        : {
            eachMessage: ({ message }) => {
              if (firstAt === 0) firstAt = performance.now();
              bytes += message.value?.length ?? 0;
              if (++seen >= records) {
                lastAt = performance.now();
                done();
              }
            },
          },
    );
    await finished;
  }
  const clientCpu = ownCpuSeconds() - c0;
  await consumer.disconnect();
  if (seen < records || bytes < records * size) throw new Error(`read back ${seen} records (${bytes} bytes), expected ${records}`);
  return { records, seconds: (lastAt - t0) / 1000, joinMs: firstAt - t0, clientCpu };
}

function rowOf(system: string, mode: string, size: number, partitions: number, runs: RunFigures[]): ReadPathRow {
  const seconds = median(runs.map((r) => r.seconds));
  const records = runs[0]?.records ?? 0;
  return {
    system,
    mode,
    size,
    partitions,
    msgsPerSec: records / seconds,
    mbPerSec: (records * size) / seconds / 1e6,
    joinMs: system === 'Strata' ? median(runs.map((r) => r.joinMs)) : null,
    clientCpuPct: median(runs.map((r) => (100 * r.clientCpu) / r.seconds)),
    serverCpuPct: median(runs.map((r) => (100 * r.serverCpu) / r.seconds)),
    perRunMbPerSec: runs.map((r) => (r.records * size) / r.seconds / 1e6),
  };
}

export async function readPathBench(o: { sizes: number[]; records: number[]; partitions: number; runs: number; modes: Mode[]; peers: string[]; profileDir: string | null }, log: (line: string) => void): Promise<ReadPathRow[]> {
  const rows: ReadPathRow[] = [];
  if (o.peers.includes('redis')) ensurePeerPackages(['redis'], log);
  for (const [i, size] of o.sizes.entries()) {
    const records = o.records[i] ?? o.records[o.records.length - 1] ?? 1_000_000;
    const strataRuns = new Map<Mode, RunFigures[]>(o.modes.map((m) => [m, []]));
    const redisRuns: RunFigures[] = [];
    for (let run = 0; run < o.runs; run++) {
      for (const mode of o.modes) {
        const figures = await withBroker({ profileDir: o.profileDir }, async (broker) => {
          const topic = `read-${size}b-${mode}-r${run}`;
          await fillTopic(broker.url, topic, o.partitions, records, size);
          const s0 = broker.cpuSeconds();
          const f = await readDefault(broker.url, topic, records, size, mode);
          return { ...f, serverCpu: broker.cpuSeconds() - s0 };
        });
        strataRuns.get(mode)!.push(figures);
        log(`Strata ${mode} ${size} B run ${run + 1}/${o.runs}: ${fmt((records * size) / figures.seconds / 1e6, 1)} MB/s, ${fmt(records / figures.seconds)} msgs/s (join ${fmt(figures.joinMs)} ms)`);
      }
      if (o.peers.includes('redis')) {
        const redis = new RedisSystem();
        await redis.start();
        try {
          const w = { id: `read-${size}b-r${run}`, recordSize: size, partitions: o.partitions, records };
          await redis.produce(w);
          const r = await redis.readBack(w);
          redisRuns.push({ records: r.records, seconds: r.seconds, joinMs: 0, clientCpu: r.clientCpuSeconds, serverCpu: r.serverCpuSeconds });
          log(`Redis Streams ${size} B run ${run + 1}/${o.runs}: ${fmt((records * size) / r.seconds / 1e6, 1)} MB/s, ${fmt(records / r.seconds)} msgs/s`);
        } finally {
          await redis.stop();
        }
      }
    }
    for (const mode of o.modes) rows.push(rowOf('Strata', `group, ${mode}, default options`, size, o.partitions, strataRuns.get(mode)!));
    if (redisRuns.length > 0) rows.push(rowOf('Redis Streams', 'XREAD COUNT 10000', size, o.partitions, redisRuns));
  }
  return rows;
}

export function renderReadPath(rows: readonly ReadPathRow[], runs: number): string {
  let out = `\nRead-back, median of ${runs} runs (Strata: one group member, default consumer options; clock from run() to the last record)\n\n`;
  out += '| system | consumption | value bytes | partitions | msgs/s | MB/s | join to first record ms | client CPU % | server CPU % |\n';
  out += '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  for (const r of rows) {
    out += `| ${r.system} | ${r.mode} | ${r.size} | ${r.partitions} | ${fmt(r.msgsPerSec)} | ${fmt(r.mbPerSec, 1)} | ${r.joinMs === null ? '—' : fmt(r.joinMs)} | ${fmt(r.clientCpuPct)} | ${fmt(r.serverCpuPct)} |\n`;
  }
  return out;
}

if (require.main === module) {
  const { values: args } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,100' },
      records: { type: 'string', default: '1000000,3000000' },
      partitions: { type: 'string', default: '1' },
      runs: { type: 'string', default: '3' },
      modes: { type: 'string', default: 'eachBatch' },
      peers: { type: 'string', default: 'redis' },
      profile: { type: 'string', default: 'none' },
      'profile-dir': { type: 'string', default: '/tmp/strata-read-path-prof' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (args.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const modes = list(args.modes).filter((m): m is Mode => m === 'eachBatch' || m === 'eachMessage' || m === 'batches');
  const profileDir = args.profile === 'broker' ? args['profile-dir']! : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const runs = Number(args.runs);
  readPathBench(
    {
      sizes: list(args.sizes).map(Number),
      records: list(args.records).map(Number),
      partitions: Number(args.partitions),
      runs,
      modes,
      peers: list(args.peers).filter((p) => p !== 'none'),
      profileDir,
    },
    (line) => void process.stderr.write(`${line}\n`),
  )
    .then((rows) => {
      if (args.json) process.stdout.write(JSON.stringify({ runs, rows }, null, 2) + '\n');
      else process.stdout.write(renderReadPath(rows, runs));
      if (profileDir) process.stderr.write(`broker profiles in ${profileDir}\n`);
    })
    .catch((e: unknown) => {
      process.stderr.write(`read-path bench failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
}
