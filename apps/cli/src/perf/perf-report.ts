/**
 * What `strata perf` prints: periodic progress lines on stderr while a run goes on, and one summary
 * at the end (text, or one JSON document with --json) on stdout.
 *
 * A progress line covers the interval since the previous one (rate and latency of that window);
 * the summary covers the whole measured run.
 */
import { formatTable } from '../core/output';
import type { LatencyHistogram } from './latency-histogram';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  /** What was timed, e.g. "send() call to acknowledgement". */
  measures: string;
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface PerfSummary {
  command: 'produce' | 'consume' | 'e2e';
  topic: string;
  records: number;
  /** Key and value bytes of those records. */
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  latencyMs: LatencySummary;
  /** CPU time (user + system) of this process during the run. */
  clientCpuSeconds: number;
  /** clientCpuSeconds / seconds, in percent of one core. */
  clientCpuPercent: number;
  /** Every setting the run used, for the record. */
  settings: Record<string, string | number | boolean | null>;
  /** Command-specific figures (e.g. e2e: records lost). */
  extra?: Record<string, number>;
}

export function latencySummary(h: LatencyHistogram, measures: string): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  return { measures, count: h.count, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), p999: ms(h.percentile(99.9)), max: ms(h.max), mean: ms(h.mean) };
}

/** CPU seconds (user + system) of this process. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The summary as text lines. */
export function formatSummary(s: PerfSummary): string {
  const l = s.latencyMs;
  const rows: string[][] = [
    ['records', num(s.records)],
    ['bytes', `${num(s.bytes)} (${num(s.bytes / 1e6, 1)} MB)`],
    ['seconds', num(s.seconds, 3)],
    ['throughput', `${num(s.msgsPerSec)} msgs/s, ${num(s.mbPerSec, 1)} MB/s`],
    ['latency (ms)', `p50 ${num(l.p50, 3)}  p99 ${num(l.p99, 3)}  p99.9 ${num(l.p999, 3)}  max ${num(l.max, 3)}  (${l.measures}, ${num(l.count)} samples)`],
    ['client CPU', `${num(s.clientCpuSeconds, 2)} s (${num(s.clientCpuPercent)}% of one core)`],
  ];
  for (const [k, v] of Object.entries(s.extra ?? {})) rows.push([k, num(v, Number.isInteger(v) ? 0 : 2)]);
  const settings = Object.entries(s.settings)
    .map(([k, v]) => `${k}=${v === null ? 'default' : String(v)}`)
    .join(' ');
  return `${formatTable([`perf ${s.command}`, `topic "${s.topic}"`], rows)}\nsettings: ${settings}`;
}

/**
 * Prints a progress line every `intervalMs` (0: never) from the counters `sample()` returns; the
 * window histogram is reset after each line. stop() prints nothing more.
 */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private lastRecords = 0;
  private lastBytes = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly write: (line: string) => void,
    private readonly sample: () => { records: number; bytes: number; window: LatencyHistogram },
    private readonly startedAt: number = performance.now(),
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.lastAt = this.startedAt;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const { records, bytes, window } = this.sample();
    const secs = (now - this.lastAt) / 1000;
    const rate = secs > 0 ? (records - this.lastRecords) / secs : 0;
    const mb = secs > 0 ? (bytes - this.lastBytes) / secs / 1e6 : 0;
    const lat = window.count > 0 ? `, latency p50 ${num(window.percentile(50) / 1000, 3)} ms p99 ${num(window.percentile(99) / 1000, 3)} ms max ${num(window.max / 1000, 3)} ms` : '';
    this.write(`${num((now - this.startedAt) / 1000, 1)} s: ${num(records)} records, ${num(rate)} msgs/s, ${num(mb, 1)} MB/s${lat}`);
    window.reset();
    this.lastAt = now;
    this.lastRecords = records;
    this.lastBytes = bytes;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
