/** What the comparison suite measures, and what each system under test (Strata or a peer) provides. */
import type { UsagePattern } from './sdk-usage';

export interface ThroughputWorkload {
  /** Unique per run: names the topic / stream / queue. */
  id: string;
  recordSize: number;
  partitions: number;
  records: number;
}

export interface LatencyWorkload {
  id: string;
  recordSize: number;
  /** Records per second. */
  rate: number;
  warmupMs: number;
  durationMs: number;
}

export interface Throughput {
  records: number;
  seconds: number;
  /** CPU seconds of the benchmark client (its own process or the CLI it ran). */
  clientCpuSeconds: number;
  /** CPU seconds of the server processes. */
  serverCpuSeconds: number;
}

export interface Latency {
  count: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  lost: number;
}

export interface SystemUnderTest {
  /** Row label, e.g. "Redis Streams". */
  readonly name: string;
  /** Versions of the server and client, e.g. "redis-server 7.0.15, ioredis 6.0.0". */
  versions(): Promise<string>;
  /** The exact settings of this system's runs (server flags and config, client options), one per line. */
  settings(): string[];
  /** Starts a fresh server with an empty data folder. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Produces the workload's records (all acknowledged when it returns). */
  produce(w: ThroughputWorkload): Promise<Throughput>;
  /** Reads back every record produce() wrote for the same workload. */
  readBack(w: ThroughputWorkload): Promise<Throughput>;
  /** One record every 1/rate s for warmup + duration; latencies of the measured part. */
  endToEnd(w: LatencyWorkload): Promise<Latency>;
  /**
   * The "default options" rows: the SDK with its defaults, called as a new user calls it (see
   * sdk-usage.ts), on a fresh one-partition topic / stream; absent when the system has no such row.
   */
  usage?(pattern: UsagePattern, w: UsageWorkload): Promise<Throughput>;
  /** Row label of the usage figures, e.g. "Strata, default options". */
  readonly usageName?: string;
}

export interface UsageWorkload {
  id: string;
  recordSize: number;
  records: number;
}

/** Monotonic milliseconds. */
export const now = (): number => performance.now();

/** CPU seconds (user + system) of this process. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Sorted-array percentiles for latency samples (ms). */
export function latencyOf(samples: number[], lost: number): Latency {
  const s = Float64Array.from(samples).sort();
  const q = (p: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!);
  return { count: s.length, p50: q(50), p99: q(99), p999: q(99.9), max: s.length === 0 ? 0 : s[s.length - 1]!, lost };
}

/**
 * Calls `send(k, dueAt)` for k = 0, 1, ... at `rate` per second (catching up after a late timer)
 * until warmup + duration have passed; resolves with the number of records sent after the warm-up.
 */
export function paced(w: LatencyWorkload, send: (k: number, measured: boolean) => void): Promise<number> {
  const interval = 1000 / w.rate;
  const started = now();
  const measureFrom = started + w.warmupMs;
  const until = measureFrom + w.durationMs;
  let k = 0;
  let measured = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const t = now();
      while (started + k * interval <= t) {
        const due = started + k * interval;
        if (due >= until) return resolve(measured);
        const m = due >= measureFrom;
        if (m) measured++;
        send(k, m);
        k++;
      }
      setTimeout(tick, Math.max(0, started + k * interval - now()));
    };
    tick();
  });
}

/**
 * A copy of `template` (at least 9 bytes) whose first 8 bytes are the current performance.now()
 * and whose 9th says whether the record is measured (1) or warm-up (0).
 */
export function stampedValue(template: Uint8Array, measured: boolean): Buffer {
  const v = Buffer.from(template);
  v.writeDoubleBE(now(), 0);
  v[8] = measured ? 1 : 0;
  return v;
}

/** The send time in a value made by stampedValue, or null for a warm-up record. */
export function stampOf(value: Uint8Array): number | null {
  if (value.length < 9 || value[8] !== 1) return null;
  return new DataView(value.buffer, value.byteOffset, 8).getFloat64(0);
}
