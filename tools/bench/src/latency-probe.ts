/**
 * End-to-end latency with DEFAULT options, as a new user writes it (issue 11): one
 * `strata.producer()` sending one record at a time at a fixed rate (1,000 records/s by default),
 * one `strata.consumer({ groupId })` with `run({ eachMessage })`, against a fresh broker binary
 * (durability fsync, as the suite runs it). Latency is the time from just before send() to the
 * record reaching eachMessage, in one process and one clock. Redis Streams (XADD per record,
 * XREAD BLOCK on a second connection) is measured in the same run with the same pacing.
 *
 * Where the tail comes from is reported too: the event-loop delay of this process
 * (monitorEventLoopDelay) and of the broker (its /metrics, prom-client's gauges, 10 ms
 * resolution) during the measured window. `--linger` and `--durability` separate the producer's
 * batching delay and fsync queueing from the rest of the path.
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
  /** p99 and max of the broker's event-loop delay during the measured window, ms (Strata only). */
  brokerLoopDelayP99: number | null;
  brokerLoopDelayMax: number | null;
  perRunP99: number[];
}

interface RunResult extends Latency {
  loopDelayP99: number | null;
  brokerLoopDelayP99: number | null;
  brokerLoopDelayMax: number | null;
}

/**
 * The broker's event-loop delay since the previous call, from its /metrics (prom-client's
 * nodejs_eventloop_lag_* gauges, which reset at every scrape), in ms; nulls when unavailable.
 */
async function brokerLoopDelay(url: string): Promise<{ p99: number | null; max: number | null }> {
  try {
    const text = await (await fetch(`${url.replace(/^ws/, 'http')}/metrics`)).text();
    const gauge = (name: string): number | null => {
      const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) * 1000 : null;
    };
    return { p99: gauge('nodejs_eventloop_lag_p99_seconds'), max: gauge('nodejs_eventloop_lag_max_seconds') };
  } catch {
    return { p99: null, max: null };
  }
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
  const measuring = setTimeout(() => {
    loop.enable();
    void brokerLoopDelay(url); // resets the broker's gauges at the start of the measured window
  }, w.warmupMs);
  const sent = await paced(w, (_k, measured) => {
    producer.send({ topic: w.id, messages: [{ value: stampedValue(template, measured) }] }).catch((e: unknown) => (failed ??= e));
  });
  clearTimeout(measuring);
  loop.disable();
  const broker = await brokerLoopDelay(url);
  const deadline = performance.now() + 5000;
  while (samples.length < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  if (failed) throw failed;
  return {
    ...latencyOf(samples, Math.max(0, sent - samples.length)),
    loopDelayP99: loop.count > 0 ? loop.percentile(99) / 1e6 : null,
    brokerLoopDelayP99: broker.p99,
    brokerLoopDelayMax: broker.max,
  };
}

function rowOf(system: string, setup: string, rate: number, runs: RunResult[]): LatencyProbeRow {
  const known = (v: Array<number | null>): number | null => {
    const k = v.filter((x): x is number => x !== null);
    return k.length > 0 ? median(k) : null;
  };
  return {
    system,
    setup,
    rate,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    p999: median(runs.map((r) => r.p999)),
    max: median(runs.map((r) => r.max)),
    lost: runs.reduce((n, r) => n + r.lost, 0),
    loopDelayP99: known(runs.map((r) => r.loopDelayP99)),
    brokerLoopDelayP99: known(runs.map((r) => r.brokerLoopDelayP99)),
    brokerLoopDelayMax: known(runs.map((r) => r.brokerLoopDelayMax)),
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
    log(`Strata run ${run + 1}/${o.runs}: p50 ${fmt(s.p50, 3)} ms, p99 ${fmt(s.p99, 3)} ms, max ${fmt(s.max, 1)} ms, client event-loop delay p99 ${s.loopDelayP99 === null ? '—' : fmt(s.loopDelayP99, 2)} ms, broker's p99 ${s.brokerLoopDelayP99 === null ? '—' : fmt(s.brokerLoopDelayP99, 2)} ms (max ${s.brokerLoopDelayMax === null ? '—' : fmt(s.brokerLoopDelayMax, 1)} ms)`);
    if (o.peers.includes('redis')) {
      const redis = new RedisSystem();
      await redis.start();
      try {
        const r = await redis.endToEnd(w);
        redisRuns.push({ ...r, loopDelayP99: null, brokerLoopDelayP99: null, brokerLoopDelayMax: null });
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
  out += '| system | setup | records/s | p50 ms | p99 ms | p99.9 ms | max ms | lost | client event-loop delay p99 ms | broker event-loop delay p99 / max ms |\n';
  out += '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  for (const r of rows) {
    out += `| ${r.system} | ${r.setup} | ${fmt(r.rate)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${fmt(r.p999, 3)} | ${fmt(r.max, 1)} | ${r.lost} | ${r.loopDelayP99 === null ? '—' : fmt(r.loopDelayP99, 2)} | ${r.brokerLoopDelayP99 === null ? '—' : `${fmt(r.brokerLoopDelayP99, 2)} / ${fmt(r.brokerLoopDelayMax ?? 0, 1)}`} |\n`;
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
