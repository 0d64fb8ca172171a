/**
 * LogCleaner: compacts logs whose cleanup.policy includes compact, one at a time, in a worker
 * thread (cleaner-core.ts holds the algorithm).
 *
 * Choosing: among compacted logs, the one with the largest dirty ratio (bytes after its cleaner
 * checkpoint / bytes of its cleanable segments) at or above its min.cleanable.dirty.ratio.
 * Cleanable segments are closed segments whose newest record is older than min.compaction.lag.ms.
 *
 * Swapping the cleaned segments in, crash-safe at every step (LogLoader finishes or undoes it):
 *  1. write `<base>.swapinfo` (the bases it replaces) atomically;
 *  2. rename the `.cleaned` files to `.swap`;
 *  3. rename the replaced segments' files to `.deleted` (open descriptors keep serving reads);
 *  4. rename the `.swap` files to their final names;
 *  5. replace the segments in the log's list, then remove the `.swapinfo`.
 * A crash before 2 completes leaves the old segments (the clean is undone); after it, start-up
 * completes the swap. Either the old segments or the cleaned ones, never a mix.
 *
 * The cleaner checkpoint `cleaner-offset-checkpoint.json` records each log's first dirty offset.
 * Event loop only; the worker never touches a log's in-memory state.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Clock } from '../util/clock';
import { fsyncDir, readFileIfExists, writeFileAtomic } from '../util/fs-io';
import { CLEANED_SUFFIX, type CleanResult, type CleanTask } from './cleaner-core';
import type { Log } from './log';
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX, segmentFileName } from './segment';

const CHECKPOINT = 'cleaner-offset-checkpoint.json';
export const SWAP_SUFFIX = '.swap';
export const SWAPINFO_SUFFIX = '.swapinfo';
const SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX];

export interface LogCleanerOptions {
  dataDir: string;
  clock: Clock;
  logger: Logger;
  dedupeBufferSize: number;
  maxBatchBytes: number;
  fileDeleteDelayMs: number;
  /**
   * Runs each swap of cleaned segments (`swap`) for `log`, replacing the segments based at
   * `replaced`; the log manager moves recovery points out of them first.
   */
  aroundSwap?: (log: Log, replaced: readonly number[], swap: () => Promise<void>) => Promise<void>;
}

export interface CleanStats extends Omit<CleanResult, 'groups'> {
  log: string;
  segmentsBefore: number;
  segmentsAfter: number;
}

/** Where the compiled worker is: next to this file in dist; from sources (tests), in dist. */
function workerPath(): string {
  const local = join(__dirname, 'cleaner-worker.js');
  return existsSync(local) ? local : join(__dirname, '..', '..', 'dist', 'storage', 'cleaner-worker.js');
}

export class LogCleaner {
  private dirty: Record<string, number> = {};
  private worker: Worker | null = null;
  private running: Promise<CleanStats | null> | null = null;
  /** Logs being cleaned: retention leaves them alone until the swap is done. */
  readonly busy = new Set<Log>();

  constructor(private readonly options: LogCleanerOptions) {}

  async load(): Promise<void> {
    const raw = await readFileIfExists(join(this.options.dataDir, CHECKPOINT));
    if (raw) this.dirty = (JSON.parse(raw.toString('utf8')) as { logs: Record<string, number> }).logs; // our own file, written atomically
  }

  /** Segments a clean may touch: closed ones older than the min compaction lag. */
  private cleanable(log: Log, now: number): LogSegment[] {
    const closed = log.segments.slice(0, -1);
    const out: LogSegment[] = [];
    for (const s of closed) {
      if (s.maxTimestamp > now - log.config.minCompactionLagMs) break;
      out.push(s);
    }
    return out;
  }

  firstDirtyOffset(log: Log): number {
    return Math.max(this.dirty[log.name] ?? 0, log.logStartOffset);
  }

  dirtyRatio(log: Log, now: number): number {
    const segments = this.cleanable(log, now);
    const first = this.firstDirtyOffset(log);
    let total = 0;
    let dirty = 0;
    segments.forEach((s, i) => {
      total += s.size;
      const next = segments[i + 1]?.baseOffset ?? log.active.baseOffset;
      if (next > first) dirty += s.size;
    });
    return total === 0 ? 0 : dirty / total;
  }

  /** Cleans the dirtiest eligible log once; null when none is dirty enough. */
  runOnce(logs: Iterable<Log>): Promise<CleanStats | null> {
    this.running ??= this.cleanDirtiest([...logs]).finally(() => (this.running = null));
    return this.running;
  }

  private async cleanDirtiest(logs: Log[]): Promise<CleanStats | null> {
    const now = this.options.clock.now();
    let best: Log | null = null;
    let bestRatio = -1;
    for (const log of logs) {
      if (!log.config.compact) continue;
      const ratio = this.dirtyRatio(log, now);
      if (ratio > 0 && ratio >= log.config.minCleanableDirtyRatio && ratio > bestRatio) {
        best = log;
        bestRatio = ratio;
      }
    }
    return best ? this.cleanLog(best, now) : null;
  }

  /** Cleans one log now (whatever its dirty ratio). */
  async cleanLog(log: Log, now = this.options.clock.now()): Promise<CleanStats | null> {
    const segments = this.cleanable(log, now);
    if (segments.length === 0) return null;
    this.busy.add(log);
    try {
      const task: CleanTask = {
        dir: log.dir,
        segments: segments.map((s) => ({ baseOffset: s.baseOffset, size: s.size })),
        firstDirtyOffset: this.firstDirtyOffset(log),
        segmentBytes: log.config.segmentBytes,
        indexIntervalBytes: log.config.indexIntervalBytes,
        deleteHorizonMs: now - log.config.deleteRetentionMs,
        mapBytes: this.options.dedupeBufferSize,
        maxBatchBytes: this.options.maxBatchBytes,
      };
      const segmentsBefore = log.segments.length;
      const result = await this.runInWorker(task);
      if (log.isClosed) return null;
      for (const group of result.groups) {
        const swap = () => this.swap(log, group);
        if (this.options.aroundSwap) await this.options.aroundSwap(log, group.replaces, swap);
        else await swap();
      }
      this.dirty[log.name] = result.nextDirtyOffset;
      await this.writeCheckpoint();
      const { groups: _g, ...rest } = result;
      const stats: CleanStats = { log: log.name, ...rest, segmentsBefore, segmentsAfter: log.segments.length };
      this.options.logger.info(stats, 'cleaned log');
      return stats;
    } finally {
      this.busy.delete(log);
    }
  }

  /**
   * Swaps a segment rewritten outside the cleaner (`<base>.*.cleaned` files, e.g. a repair) in
   * for the segments it replaces, with the same crash safety as a clean.
   */
  async swapIn(log: Log, group: CleanResult['groups'][number]): Promise<void> {
    const swap = () => this.swap(log, group);
    if (this.options.aroundSwap) await this.options.aroundSwap(log, group.replaces, swap);
    else await swap();
  }

  private runInWorker(task: CleanTask): Promise<CleanResult> {
    this.worker ??= new Worker(workerPath());
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (m: { ok: true; result: CleanResult } | { ok: false; error: string }) => {
        done();
        if (m.ok) resolve(m.result);
        else reject(new Error(`cleaning ${task.dir} failed: ${m.error}`));
      };
      const onError = (e: Error) => {
        done();
        this.worker = null;
        reject(e);
      };
      const onExit = () => {
        done();
        this.worker = null;
        reject(new Error('cleaner stopped'));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(task);
    });
  }

  private async swap(log: Log, group: CleanResult['groups'][number]): Promise<void> {
    const dir = log.dir;
    const base = group.baseOffset;
    const name = (b: number, suffix: string) => join(dir, segmentFileName(b, suffix));
    const olds = group.replaces.map((b) => log.segments.find((s) => s.baseOffset === b));
    if (olds.some((s) => s === undefined)) {
      // The log changed under the clean (deleted topic, truncation): drop the cleaned files.
      for (const sfx of SUFFIXES) await fsp.rm(name(base, sfx) + CLEANED_SUFFIX, { force: true });
      return;
    }
    await writeFileAtomic(name(base, SWAPINFO_SUFFIX), JSON.stringify({ replaces: group.replaces }) + '\n');
    for (const sfx of SUFFIXES) await fsp.rename(name(base, sfx) + CLEANED_SUFFIX, name(base, sfx) + SWAP_SUFFIX);
    await fsyncDir(dir);
    for (const old of olds) await log.retire(old!, this.options.fileDeleteDelayMs);
    for (const sfx of SUFFIXES) await fsp.rename(name(base, sfx) + SWAP_SUFFIX, name(base, sfx));
    await fsyncDir(dir);
    const cleaned = new LogSegment({
      dir,
      baseOffset: base,
      size: group.size,
      fresh: false,
      indexIntervalBytes: log.config.indexIntervalBytes,
      maxBatchBytes: this.options.maxBatchBytes,
      ...(log.pool ? { pool: log.pool } : {}),
    });
    cleaned.setTimestamps(group.maxTimestamp, group.firstBatchTimestamp);
    log.replaceSegments(olds as LogSegment[], cleaned);
    await fsp.rm(name(base, SWAPINFO_SUFFIX), { force: true });
  }

  private async writeCheckpoint(): Promise<void> {
    await writeFileAtomic(join(this.options.dataDir, CHECKPOINT), JSON.stringify({ version: 1, logs: this.dirty }) + '\n');
  }

  /** Forgets a deleted log. */
  forget(log: Log): void {
    delete this.dirty[log.name];
  }

  /** Stops the worker; a clean in progress is abandoned (its `.cleaned` files go at start-up). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    if (this.running) await this.running.catch(() => undefined);
  }
}
