/**
 * End-to-end latency with DEFAULT options, as a new user writes it (issue 11): one
 * `strata.producer()` sending one record at a time at a fixed rate (1,000 records/s by default),
 * one `strata.consumer({ groupId })` with `run({ eachMessage })`, against a fresh broker binary
 * (durability fsync, as the suite runs it). Latency is the time from just before send() to the
 * record reaching eachMessage, in one process and one clock. Redis Streams (XADD per record,
 * XREAD BLOCK on a second connection) is measured in the same run with the same pacing.
 *
 * Where the tail comes from is reported too: the event-loop delay of this process
 * (monitorEventLoopDelay) during the measured window, and the fsync queueing the broker reports
 * is left to its metrics.
 *
 *   npm run build && npm run latency-probe -w @strata/bench -- --rate 1000 --duration 10 --runs 3
 *
 * Output: a table (or --json) of medians over the runs of p50 / p99 / p99.9 / max in ms.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Strata, silentLogger } from '@strata/client';
import { list, withBroker } from './bench-topic';
import { ensurePeerPackages } from './compare/debian';
import { RedisSystem } from './compare/redis-system';
import { latencyOf, paced, stampOf, stampedValue, type Latency, type LatencyWorkload } from './compare/types';
import { sampleValues } from './producer-matrix';
import { fmt, median } from './stats';

export interface LatencyProbeOptions {
  rate: number;
  recordSize: number;
  warmupMs: number;
  durationMs: number;
  runs: number;
  peers: string[];
  /** Diagnosis only: the producer's lingerMs instead of its default (null: default options). */
  lingerMs: number | null;
  /** The broker's durability setting (the suite runs fsync). */
  durability: 'fsync' | 'async';
}

export interface LatencyProbeRow {
  system: string;
  setup: string;
  rate: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  lost: number;
  /** p99 of this process's event-loop delay during the measured window, ms (Strata only). */
  loopDelayP99: number | null;
  perRunP99: number[];
}

interface RunResult extends Latency {
  loopDelayP99: number | null;
}

/** One Strata run: default producer, default group consumer with eachMessage. */
async function strataRun(url: string, w: LatencyWorkload, lingerMs: number | null): Promise<RunResult> {
  const strata = new Strata({ brokers: [url], clientId: 'bench-latency', logger: silentLogger });
  const admin = strata.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: w.id, numPartitions: 1 }] });
  await admin.disconnect();
  const consumer = strata.consumer({ groupId: `${w.id}-readers` });
  const producer = lingerMs === null ? strata.producer() : strata.producer({ lingerMs });
  await Promise.all([consumer.connect(), producer.connect()]);
  consumer.subscribe({ topics: [w.id], fromBeginning: true });
  const samples: number[] = [];
  let assigned!: () => void;
  const ready = new Promise<void>((resolve) => (assigned = resolve));
  const off = consumer.on('consumer.rebalance', (e) => {
    if (e.payload.assigned.length > 0) assigned();
  });
  await consumer.run({
    eachMessage: ({ message }) => {
      const t = performance.now();
      const sent = message.value ? stampOf(message.value) : null;
      if (sent !== null) samples.push(t - sent);
    },
  });
  await ready;
  off();
  const template = sampleValues(Math.max(9, w.recordSize))[0]!;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let failed: unknown = null;
  const measuring = setTimeout(() => loop.enable(), w.warmupMs);
  const sent = await paced(w, (_k, measured) => {
    producer.send({ topic: w.id, messages: [{ value: stampedValue(template, measured) }] }).catch((e: unknown) => (failed ??= e));
  });
  clearTimeout(measuring);
  loop.disable();
  const deadline = performance.now() + 5000;
  while (samples.length < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  if (failed) throw failed;
  return { ...latencyOf(samples, Math.max(0, sent - samples.length)), loopDelayP99: loop.count > 0 ? loop.percentile(99) / 1e6 : null };
}

function rowOf(system: string, setup: string, rate: number, runs: RunResult[]): LatencyProbeRow {
  const loop = runs.map((r) => r.loopDelayP99).filter((v): v is number => v !== null);
  return {
    system,
    setup,
    rate,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    p999: median(runs.map((r) => r.p999)),
    max: median(runs.map((r) => r.max)),
    lost: runs.reduce((n, r) => n + r.lost, 0),
    loopDelayP99: loop.length > 0 ? median(loop) : null,
    perRunP99: runs.map((r) => r.p99),
  };
}

/** Runs the probe: Strata and each peer alternate run by run, so both see the same machine load. */
export async function latencyProbeBench(o: LatencyProbeOptions, log: (line: string) => void): Promise<LatencyProbeRow[]> {
  if (o.peers.includes('redis')) ensurePeerPackages(['redis'], log);
  const strataRuns: RunResult[] = [];
  const redisRuns: RunResult[] = [];
  for (let run = 0; run < o.runs; run++) {
    const w: LatencyWorkload = { id: `latency-${run}`, recordSize: o.recordSize, rate: o.rate, warmupMs: o.warmupMs, durationMs: o.durationMs };
    const s = await withBroker({ settings: { durability: o.durability } }, (broker) => strataRun(broker.url, w, o.lingerMs));
    strataRuns.push(s);
    log(`Strata run ${run + 1}/${o.runs}: p50 ${fmt(s.p50, 3)} ms, p99 ${fmt(s.p99, 3)} ms, max ${fmt(s.max, 1)} ms, event-loop delay p99 ${s.loopDelayP99 === null ? '—' : fmt(s.loopDelayP99, 2)} ms`);
    if (o.peers.includes('redis')) {
      const redis = new RedisSystem();
      await redis.start();
      try {
        const r = await redis.endToEnd(w);
        redisRuns.push({ ...r, loopDelayP99: null });
        log(`Redis Streams run ${run + 1}/${o.runs}: p50 ${fmt(r.p50, 3)} ms, p99 ${fmt(r.p99, 3)} ms, max ${fmt(r.max, 1)} ms`);
      } finally {
        await redis.stop();
      }
    }
  }
  const setup = o.lingerMs === null ? 'producer() + group consumer, eachMessage, default options' : `producer({ lingerMs: ${o.lingerMs} }) + group consumer, eachMessage, default options`;
  const rows = [rowOf('Strata', setup, o.rate, strataRuns)];
  if (redisRuns.length > 0) rows.push(rowOf('Redis Streams', 'XADD per record, XREAD BLOCK', o.rate, redisRuns));
  return rows;
}

export function renderLatencyProbe(rows: readonly LatencyProbeRow[], o: Pick<LatencyProbeOptions, 'runs' | 'recordSize' | 'durationMs'>): string {
  let out = `\nEnd-to-end latency, ${o.recordSize}-byte records, median of ${o.runs} runs of ${o.durationMs / 1000} s (send() to eachMessage, one process)\n\n`;
  out += '| system | setup | records/s | p50 ms | p99 ms | p99.9 ms | max ms | lost | client event-loop delay p99 ms |\n';
  out += '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  for (const r of rows) {
    out += `| ${r.system} | ${r.setup} | ${fmt(r.rate)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.p999, 3)} | ${fmt(r.max, 1)} | ${r.lost} | ${r.loopDelayP99 === null ? '—' : fmt(r.loopDelayP99, 2)} |\n`;
  }
  return out;
}

const HELP = `End-to-end latency with default options (the broker binary must be built: npm run build)

  --rate N          records per second (default 1000)
  --size N          value bytes, at least 9 (default 100)
  --warmup S        seconds before measuring (default 2)
  --duration S      measured seconds per run (default 10)
  --runs N          runs; medians are reported (default 3)
  --peers redis     peers measured in the same run ('none': Strata only; default redis)
  --linger MS       diagnosis: the producer's lingerMs instead of its default (separates the
                    producer's batching delay from the rest of the path)
  --durability D    the broker's durability, fsync (default, as the suite) or async
  --json            print JSON instead of a table
`;

if (require.main === module) {
  const { values: args } = parseArgs({
    options: {
      rate: { type: 'string', default: '1000' },
      size: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '2' },
      duration: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
      peers: { type: 'string', default: 'redis' },
      linger: { type: 'string' },
      durability: { type: 'string', default: 'fsync' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (args.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const o: LatencyProbeOptions = {
    rate: Number(args.rate),
    recordSize: Math.max(9, Number(args.size)),
    warmupMs: Number(args.warmup) * 1000,
    durationMs: Number(args.duration) * 1000,
    runs: Number(args.runs),
    peers: list(args.peers).filter((p) => p !== 'none'),
    lingerMs: args.linger === undefined ? null : Number(args.linger),
    durability: args.durability === 'async' ? 'async' : 'fsync',
  };
  latencyProbeBench(o, (line) => void process.stderr.write(`${line}\n`))
    .then((rows) => {
      if (args.json) process.stdout.write(JSON.stringify({ options: o, rows }, null, 2) + '\n');
      else process.stdout.write(renderLatencyProbe(rows, o));
    })
    .catch((e: unknown) => {
      process.stderr.write(`latency probe failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
}
