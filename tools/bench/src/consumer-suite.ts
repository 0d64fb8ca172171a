/**
 * The consumer-side benchmarks of issue 11 in one call, for the main runner (`npm run bench --
 * --all`): read-back with default options (Strata vs Redis Streams), end-to-end latency with
 * default options (Strata vs Redis Streams), rebalance timings. Each also runs alone:
 * `npm run read-path | latency-probe | rebalance -w @strata/bench`.
 *
 * Wiring (tools/bench/src/main.ts, when --all is given):
 *
 *   import { consumerSuite } from './consumer-suite';
 *   const consumer = await consumerSuite({}, log);
 *   report += consumer.markdown;   // and consumer.json for --json
 */
import { latencyProbeBench, renderLatencyProbe, type LatencyProbeOptions, type LatencyProbeRow } from './latency-probe';
import { readPathBench, renderReadPath, type ReadPathRow } from './read-path';
import { rebalanceBench, renderRebalance, type RebalanceRow } from './rebalance';

export interface ConsumerSuiteOptions {
  /** Runs per row (medians are reported). @default 3 */
  runs?: number;
  /** Peers measured in the same run. @default ['redis'] */
  peers?: string[];
  /** Records read back per value size (1000 B, 100 B). @default [1_000_000, 3_000_000] */
  readRecords?: [number, number];
  /** Seconds measured per latency run. @default 10 */
  latencySeconds?: number;
}

export interface ConsumerSuiteResult {
  markdown: string;
  json: { readPath: ReadPathRow[]; latency: LatencyProbeRow[]; rebalance: RebalanceRow[] };
}

export async function consumerSuite(o: ConsumerSuiteOptions, log: (line: string) => void): Promise<ConsumerSuiteResult> {
  const runs = o.runs ?? 3;
  const peers = o.peers ?? ['redis'];
  const readPath = await readPathBench(
    { sizes: [1000, 100], records: o.readRecords ?? [1_000_000, 3_000_000], partitions: 1, runs, modes: ['eachBatch'], peers, profileDir: null },
    log,
  );
  const latencyOptions: LatencyProbeOptions = { rate: 1000, recordSize: 100, warmupMs: 2000, durationMs: (o.latencySeconds ?? 10) * 1000, runs, peers, lingerMs: null, durability: 'fsync' };
  const latency = await latencyProbeBench(latencyOptions, log);
  const rebalance = await rebalanceBench({ runs: Math.max(runs, 5) }, log);
  return {
    markdown: renderReadPath(readPath, runs) + renderLatencyProbe(latency, latencyOptions) + renderRebalance(rebalance, Math.max(runs, 5)),
    json: { readPath, latency, rebalance },
  };
}
