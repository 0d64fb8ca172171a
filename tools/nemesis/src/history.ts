/**
 * The history: Jepsen's plain log of operations. Every operation a process performs is written
 * twice, as an `invoke` when it starts and as its completion when it ends:
 *   ok    it happened (a send was acknowledged, a poll returned records, a commit was accepted);
 *   fail  it certainly did not happen;
 *   info  unknown: it may or may not have taken effect (a send that failed after retries — a
 *         timed-out write may still be in the log).
 * Completions carry what was observed (offsets, records). The nemesis records its faults the same
 * way (process "nemesis"). One JSON object per line:
 *
 *   {"t":1733452800123.4,"process":"producer-1","type":"invoke","f":"send","value":{"v":"producer-1-17","p":2}}
 *   {"t":1733452800131.0,"process":"producer-1","type":"ok","f":"send","value":{"v":"producer-1-17","p":2,"o":411}}
 *
 * `t` is wall-clock milliseconds with a fraction (performance.timeOrigin + performance.now(), the
 * same clock in every process of the machine). Each process writes its own file (synchronous
 * appends: a line is on disk once written, even if the process is killed next); `mergeHistories`
 * joins them into one file ordered by time, which is what the checker reads.
 *
 * Not shared between processes; one writer per file.
 */
import { closeSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** What an operation is. Workload: send, poll, commit, committed, read, probe. Nemesis: the fault names. */
export type OpFunction = string;

export interface Op {
  /** Milliseconds since the epoch, with a fraction. */
  t: number;
  process: string;
  type: OpType;
  f: OpFunction;
  value?: unknown;
  /** Why a fail or info completion failed (error code and message). */
  error?: string;
}

// ---- the values each workload operation carries (see workload/*) ----

/** send invoke: value `v` to partition `p`; ok adds the acknowledged offset `o`. */
export interface SendValue {
  v: string;
  p: number;
  o?: number;
}

/** One record as read: [offset, value]. */
export type ReadRecord = [number, string];

/** poll ok (assign or group consumer) and read ok (the final read): records of one partition. */
export interface PollValue {
  p: number;
  /** The partition's high watermark when fetched. */
  hw: number;
  records: ReadRecord[];
  /** Group consumers: the member id and epoch that received it. */
  member?: string;
}

/** commit invoke/ok/fail and committed ok: partition -> committed offset (the next to consume). */
export type OffsetsValue = Record<string, number>;

/** probe invoke/ok/fail: one acks=all send while the partition's ISR is the leader alone. */
export interface ProbeValue {
  p: number;
  isr: number[];
  /** Milliseconds from send() to its outcome. */
  ms?: number;
  /** The error code of the failure, and the deepest error code in its cause chain (the broker's answer). */
  code?: string;
  cause?: string;
}

/** Wall-clock milliseconds with a fraction, comparable across processes on one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Appends operations of one process to its history file. */
export class HistoryWriter {
  private fd: number | null;

  constructor(
    readonly path: string,
    readonly process: string,
  ) {
    this.fd = openSync(path, 'a');
  }

  write(type: OpType, f: OpFunction, value?: unknown, error?: string): Op {
    const op: Op = { t: now(), process: this.process, type, f };
    if (value !== undefined) op.value = value;
    if (error !== undefined) op.error = error;
    if (this.fd !== null) writeSync(this.fd, JSON.stringify(op) + '\n');
    return op;
  }

  invoke(f: OpFunction, value?: unknown): Op {
    return this.write('invoke', f, value);
  }

  ok(f: OpFunction, value?: unknown): Op {
    return this.write('ok', f, value);
  }

  fail(f: OpFunction, value: unknown, error: string): Op {
    return this.write('fail', f, value, error);
  }

  info(f: OpFunction, value: unknown, error: string): Op {
    return this.write('info', f, value, error);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Parses a history file; a torn last line (a process killed mid-write) is skipped. */
export function readHistory(path: string): Op[] {
  const ops: Op[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    try {
      ops.push(JSON.parse(line) as Op); // written by HistoryWriter
    } catch (e) {
      if (i < lines.length - 2) throw new Error(`${path}:${i + 1}: not a history line: ${(e as Error).message}`);
    }
  }
  return ops;
}

/** Joins every `*.jsonl` file of `dir` into `out`, ordered by time (stable); returns the count. */
export function mergeHistories(dir: string, out: string): number {
  const ops: Op[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) ops.push(...readHistory(join(dir, name)));
  ops.sort((a, b) => a.t - b.t);
  writeFileSync(out, ops.map((op) => JSON.stringify(op)).join('\n') + (ops.length > 0 ? '\n' : ''));
  return ops.length;
}

/** "CODE: message" of an error, with its cause's code when it has one (StrataError and friends). */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const cause = e.cause instanceof Error ? ` (cause: ${describeError(e.cause)})` : '';
  return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}${cause}`;
}
