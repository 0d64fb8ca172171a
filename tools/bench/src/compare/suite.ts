/**
 * The comparison suite: for each system, `runs` times, a fresh server; for each record size and
 * partition count, produce `records` records then read them all back; then end-to-end latency at
 * a steady rate. Each figure is the median of the runs; the per-run figures are kept.
 */
import { fmt, median } from '../stats';
import { USAGE_PATTERNS, type UsagePattern } from './sdk-usage';
import { StrataSystem } from './strata-system';
import type { Latency, SystemUnderTest, Throughput } from './types';

export interface SuiteOptions {
  records: number;
  runs: number;
  sizes: number[];
  partitions: number[];
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** Records per pattern of the default-options rows (0: skip them). */
  usageRecords: number;
}

export interface ThroughputRow {
  system: string;
  workload: 'produce' | 'read back';
  size: number;
  partitions: number;
  msgsPerSec: number;
  mbPerSec: number;
  clientCpuPct: number;
  serverCpuPct: number;
  perRun: number[];
}

/** A default-options figure: one system's SDK, with its defaults, called as in sdk-usage.ts. */
export interface UsageRow {
  system: string;
  pattern: UsagePattern;
  msgsPerSec: number;
  clientCpuPct: number;
  serverCpuPct: number;
  perRun: number[];
}

export interface LatencyRow extends Latency {
  system: string;
  perRunP99: number[];
}

export interface SuiteResult {
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  usage: UsageRow[];
  /** Strata's framing bytes per record beyond the value (median of runs), by workload key "size/partitions". */
  framing: Record<string, { wireProduce: number; wireFetch: number; log: number }>;
}

function throughputRow(system: string, workload: ThroughputRow['workload'], size: number, partitions: number, runs: Throughput[]): ThroughputRow {
  const secs = median(runs.map((r) => r.seconds));
  const records = runs[0]?.records ?? 0;
  return {
    system,
    workload,
    size,
    partitions,
    msgsPerSec: records / secs,
    mbPerSec: (records * size) / secs / 1e6,
    clientCpuPct: median(runs.map((r) => (100 * r.clientCpuSeconds) / r.seconds)),
    serverCpuPct: median(runs.map((r) => (100 * r.serverCpuSeconds) / r.seconds)),
    perRun: runs.map((r) => r.records / r.seconds),
  };
}

export function usageRow(system: string, pattern: UsagePattern, runs: Throughput[]): UsageRow {
  const t = throughputRow(system, 'produce', 0, 1, runs);
  return { system, pattern, msgsPerSec: t.msgsPerSec, clientCpuPct: t.clientCpuPct, serverCpuPct: t.serverCpuPct, perRun: t.perRun };
}

export async function runSuite(systems: readonly SystemUnderTest[], o: SuiteOptions, log: (line: string) => void): Promise<SuiteResult> {
  const result: SuiteResult = { throughput: [], latency: [], usage: [], framing: {} };
  for (const system of systems) {
    const produced = new Map<string, Throughput[]>();
    const readBack = new Map<string, Throughput[]>();
    const framing = new Map<string, Array<{ wireProduce: number; wireFetch: number; log: number }>>();
    const latencies: Latency[] = [];
    const usage = new Map<UsagePattern, Throughput[]>();
    for (let run = 0; run < o.runs; run++) {
      await system.start();
      try {
        for (const size of o.sizes) {
          for (const partitions of o.partitions) {
            const key = `${size}/${partitions}`;
            const w = { id: `bench-${size}b-${partitions}p-r${run}`, recordSize: size, partitions, records: o.records };
            const p = await system.produce(w);
            const r = await system.readBack(w);
            (produced.get(key) ?? produced.set(key, []).get(key)!).push(p);
            (readBack.get(key) ?? readBack.set(key, []).get(key)!).push(r);
            if (system instanceof StrataSystem) {
              const f = { wireProduce: system.lastProduceExtra['wireFramingBytesPerRecord'] ?? NaN, wireFetch: system.lastReadExtra['wireFramingBytesPerRecord'] ?? NaN, log: system.lastProduceExtra['logFramingBytesPerRecord'] ?? NaN };
              (framing.get(key) ?? framing.set(key, []).get(key)!).push(f);
            }
            log(`${system.name} run ${run + 1}/${o.runs} ${size} B x ${partitions} partition(s): produce ${fmt(p.records / p.seconds)} msgs/s, read back ${fmt(r.records / r.seconds)} msgs/s`);
          }
        }
        if (system.usage && o.usageRecords > 0) {
          for (const pattern of USAGE_PATTERNS) {
            const u = await system.usage(pattern, { id: `usage-${pattern.replace(/\W+/g, '-')}-r${run}`, recordSize: o.sizes[0] ?? 100, records: o.usageRecords });
            (usage.get(pattern) ?? usage.set(pattern, []).get(pattern)!).push(u);
            log(`${system.usageName ?? system.name} run ${run + 1}/${o.runs} ${pattern}: ${fmt(u.records / u.seconds)} msgs/s`);
          }
        }
        const l = await system.endToEnd({ id: `bench-e2e-r${run}`, recordSize: o.sizes[0] ?? 100, rate: o.rate, warmupMs: o.warmupMs, durationMs: o.durationMs });
        latencies.push(l);
        log(`${system.name} run ${run + 1}/${o.runs} end-to-end at ${o.rate}/s: p50 ${fmt(l.p50, 3)} ms, p99 ${fmt(l.p99, 3)} ms, p99.9 ${fmt(l.p999, 3)} ms (${l.count} records, ${l.lost} lost)`);
      } finally {
        await system.stop();
      }
    }
    for (const size of o.sizes) {
      for (const partitions of o.partitions) {
        const key = `${size}/${partitions}`;
        result.throughput.push(throughputRow(system.name, 'produce', size, partitions, produced.get(key) ?? []));
        result.throughput.push(throughputRow(system.name, 'read back', size, partitions, readBack.get(key) ?? []));
        const f = framing.get(key);
        if (f && system.name.includes('acks=1')) result.framing[key] = { wireProduce: median(f.map((x) => x.wireProduce)), wireFetch: median(f.map((x) => x.wireFetch)), log: median(f.map((x) => x.log)) };
      }
    }
    for (const [pattern, runs] of usage) result.usage.push(usageRow(system.usageName ?? system.name, pattern, runs));
    result.latency.push({
      system: system.name,
      count: median(latencies.map((l) => l.count)),
      p50: median(latencies.map((l) => l.p50)),
      p99: median(latencies.map((l) => l.p99)),
      p999: median(latencies.map((l) => l.p999)),
      max: median(latencies.map((l) => l.max)),
      lost: Math.max(0, ...latencies.map((l) => l.lost)),
      perRunP99: latencies.map((l) => l.p99),
    });
  }
  return result;
}
