/**
 * LogManager: every partition log under `data.dir`, plus what spans them: the recovery
 * checkpoint file, the clean-shutdown marker, background flushes and checkpoints.
 *
 * Files in data.dir: `recovery-checkpoint.json` ({ version, logs: { "<topic>-<p>": RecoveryPoint } },
 * replaced atomically), `.clean-shutdown` (present only between a clean shutdown and the next
 * start-up), one folder `<topic>-<partition>` per log, and `<random id>.deleted` folders of
 * deleted topics waiting for removal (named without the topic, so the longest topic name still
 * fits the file system's 255-byte name limit).
 *
 * Storage problems of every log come here (LogEvents): each is logged once with its file and
 * reason and counted in the metrics. Background work (flushes, checkpoints, retention, the
 * cleaner, removing deleted files) runs on the injected scheduler.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { StrataError } from '@strata/protocol';
import type { Clock } from '../util/clock';
import { listDir, readFileIfExists, removeIfExists, writeFileAtomic } from '../util/fs-io';
import { repeat, type Cancel, type Scheduler } from '../util/scheduler';
import { FilePool } from './file-pool';
import type { CorruptBatchError } from './file-records';
import { InlineWrites } from './inline-writes';
import type { LogSegment } from './segment';
import { isNoSpace, type Log, type LogConfig, type LogEvents } from './log';
import { loadLog, type RecoveryPoint } from './log-loader';
import { LogCleaner, type CleanStats } from './log-cleaner';
import { repairLog, type RepairReport } from './log-repair';
import { segmentsToDelete } from './retention';

const CHECKPOINT_FILE = 'recovery-checkpoint.json';
const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
/** In a cluster, each partition folder records the id of its topic. */
export const PARTITION_METADATA_FILE = 'partition.metadata';

/** Counters the LogManager keeps up to date (the broker's metrics registry). */
export interface StorageMetrics {
  offlinePartitions(count: number): void;
  corruptBatch(): void;
}

export interface LogManagerOptions {
  dataDir: string;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  metrics?: StorageMetrics;
  maxBatchBytes: number;
  flushIntervalMs: number;
  checkpointIntervalMs: number;
  retentionCheckIntervalMs: number;
  fileDeleteDelayMs: number;
  cleanerEnable: boolean;
  cleanerBackoffMs: number;
  cleanerDedupeBufferSize: number;
  maxOpenFiles: number;
  /** Memory for the tail caches of all logs together. */
  tailCacheBytes: number;
  /** Largest append written synchronously on the event loop (InlineWrites); 0: never. */
  inlineWriteMaxBytes: number;
}

/** No single log's tail cache grows past this, however few logs there are. */
const MAX_TAIL_CACHE_PER_LOG = 8 * 1024 * 1024;

export function logDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class LogManager implements LogEvents {
  private readonly logs = new Map<string, Log>();
  private checkpoints: Record<string, RecoveryPoint> = {};
  private cleanShutdown = false;
  private readonly timers: Cancel[] = [];
  private readonly offlineLogs = new Set<Log>();
  /** Tail-cache bytes each log gets now (changes only when the log count crosses a power of two). */
  private tailShare = -1;
  readonly cleaner: LogCleaner;
  readonly files: FilePool;
  readonly inlineWrites: InlineWrites;
  private checkpointRunning: Promise<void> | null = null;
  /** The segment each recorded recovery point lies in: a point into a replaced segment is void. */
  private readonly pointSegments = new Map<string, LogSegment>();
  /** Serializes computing and writing recovery points with the cleaner's swaps. */
  private checkpointLock: Promise<void> = Promise.resolve();
  private flushing = false;

  constructor(private readonly options: LogManagerOptions) {
    this.files = new FilePool(options.maxOpenFiles);
    this.inlineWrites = new InlineWrites({ maxBytes: options.inlineWriteMaxBytes });
    this.cleaner = new LogCleaner({
      aroundSwap: (log, replaced, swap) => this.aroundSwap(log, replaced, swap),
      dataDir: options.dataDir,
      clock: options.clock,
      logger: options.logger,
      dedupeBufferSize: options.cleanerDedupeBufferSize,
      maxBatchBytes: options.maxBatchBytes,
      fileDeleteDelayMs: options.fileDeleteDelayMs,
    });
  }

  /** Reads the checkpoint file and the clean-shutdown marker, and removes leftovers of deletions. */
  async open(): Promise<void> {
    const { dataDir } = this.options;
    await fs.promises.mkdir(dataDir, { recursive: true });
    this.cleanShutdown = (await readFileIfExists(join(dataDir, CLEAN_SHUTDOWN_FILE))) !== null;
    const raw = await readFileIfExists(join(dataDir, CHECKPOINT_FILE));
    if (raw) this.checkpoints = parseCheckpoints(raw.toString('utf8'), this.options.logger);
    for (const name of await listDir(dataDir)) {
      if (name.endsWith('.deleted') || name.endsWith('.tmp')) await removeIfExists(join(dataDir, name));
    }
    await this.cleaner.load();
  }

  /** Loads (recovering if needed) or creates the log of a partition. */
  async loadLog(topic: string, partition: number, config: LogConfig): Promise<Log> {
    const name = logDirName(topic, partition);
    const started = Date.now();
    const { log, stats } = await loadLog({
      dir: join(this.options.dataDir, name),
      topic,
      partition,
      config,
      clock: this.options.clock,
      logger: this.options.logger,
      recoveryPoint: this.checkpoints[name] ?? null,
      cleanShutdown: this.cleanShutdown,
      maxBatchBytes: this.options.maxBatchBytes,
      pool: this.files,
      inline: this.inlineWrites,
      scheduler: this.options.scheduler,
      events: this,
    });
    if (stats.recoveredSegments > 0 || stats.truncatedBytes > 0 || stats.rebuiltIndexes > 0) {
      this.options.logger.info({ log: name, ...stats, logEndOffset: log.logEndOffset, ms: Date.now() - started }, 'recovered log');
    }
    this.logs.set(name, log);
    this.resizeTailCaches(log);
    return log;
  }

  /**
   * In a cluster: loads (or creates) a replica's log whose folder records the topic's id in
   * `partition.metadata`. A folder of another topic of the same name (deleted and created again
   * while this broker was away) holds other data: it is deleted, and the replica starts empty.
   */
  async loadClusterLog(topic: string, partition: number, config: LogConfig, topicId: string): Promise<Log> {
    const dir = join(this.options.dataDir, logDirName(topic, partition));
    const file = join(dir, PARTITION_METADATA_FILE);
    const raw = await readFileIfExists(file);
    const recorded = raw ? raw.toString('utf8').trim() : null;
    if (recorded !== null && recorded !== topicId) {
      this.options.logger.warn({ log: logDirName(topic, partition), recorded, topicId }, 'the local replica belongs to an older topic of the same name; deleting it');
      await this.deleteLogs(topic, partition + 1, partition);
    }
    const log = await this.loadLog(topic, partition, config);
    if (recorded !== topicId) await writeFileAtomic(file, `${topicId}\n`);
    return log;
  }

  /**
   * Splits the broker-wide tail-cache budget across the logs: each gets the budget divided by the
   * log count rounded up to a power of two, so creating n logs resizes the others log2(n) times,
   * not n times, and the total stays within the budget.
   */
  private resizeTailCaches(added?: Log): void {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(1, this.logs.size)));
    const share = Math.min(MAX_TAIL_CACHE_PER_LOG, Math.floor(this.options.tailCacheBytes / slots));
    if (share === this.tailShare) {
      added?.setTailCacheBytes(share);
      return;
    }
    this.tailShare = share;
    for (const log of this.logs.values()) log.setTailCacheBytes(share);
  }

  /** LogEvents: a log went offline after an I/O error. */
  offline(log: Log, error: StrataError): void {
    this.offlineLogs.add(log);
    this.options.metrics?.offlinePartitions(this.offlineLogs.size);
    this.options.logger.error({ log: log.name, err: error.cause ?? error }, `partition ${log.name} is offline: ${error.message}`);
  }

  /** LogEvents: a read found a damaged batch. */
  corrupt(log: Log, error: CorruptBatchError): void {
    this.options.metrics?.corruptBatch();
    this.options.logger.error(
      { log: log.name, file: error.path, position: error.position, reason: error.reason },
      `damaged record batch in ${log.name}: reads there fail with CORRUPT_MESSAGE until "strata partitions skip-corrupt ${log.topic} ${log.partition}" moves past it`,
    );
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(logDirName(topic, partition));
  }

  allLogs(): Log[] {
    return [...this.logs.values()];
  }

  /** Called once every log of the metadata is loaded: later crashes are unclean again. */
  async startupComplete(): Promise<void> {
    try {
      await this.withCheckpointLock(() => this.writeCheckpoints());
    } catch (e) {
      // A full disk: start read-only (produce answers KAFKA_STORAGE_ERROR until space returns);
      // the next checkpoint writes it. Anything else is a real failure.
      if (!isNoSpace(e)) throw e;
      this.options.logger.warn({ err: e }, 'disk full at start-up: serving reads; writes fail until space returns');
    }
    await removeIfExists(join(this.options.dataDir, CLEAN_SHUTDOWN_FILE));
    this.cleanShutdown = false;
    const scheduler = this.options.scheduler;
    this.timers.push(repeat(scheduler, this.options.flushIntervalMs, () => this.flushAll()));
    this.timers.push(repeat(scheduler, this.options.checkpointIntervalMs, () => this.checkpointAll()));
    this.timers.push(repeat(scheduler, this.options.retentionCheckIntervalMs, () => void this.runRetention()));
    if (this.options.cleanerEnable) this.timers.push(repeat(scheduler, this.options.cleanerBackoffMs, async () => void (await this.runCleaner())));
  }

  /** Rewrites the damaged segments of a log without their damaged batches (skip-corrupt). */
  repair(log: Log): Promise<RepairReport> {
    return repairLog(log, { cleaner: this.cleaner, logger: this.options.logger, maxBatchBytes: this.options.maxBatchBytes, now: () => this.options.clock.now() });
  }

  /** Compacts the dirtiest compacted log, if one is dirty enough. */
  async runCleaner(): Promise<CleanStats | null> {
    try {
      return await this.cleaner.runOnce(this.logs.values());
    } catch (e) {
      this.options.logger.error({ err: e }, 'log cleaner failed');
      return null;
    }
  }

  /**
   * Deletes, in every log whose cleanup.policy includes delete, the oldest closed segments that
   * retention.ms or retention.bytes rule out. Returns the number of segments deleted.
   */
  runRetention(): number {
    const now = this.options.clock.now();
    let deleted = 0;
    for (const log of this.logs.values()) {
      if (!log.config.delete || this.cleaner.busy.has(log) || log.offline) continue;
      const n = segmentsToDelete(log, log.config.retentionMs, log.config.retentionBytes, now);
      if (n === 0) continue;
      const bytes = log.deleteOldestSegments(n, this.options.fileDeleteDelayMs);
      deleted += n;
      this.options.logger.info({ log: log.name, segments: n, bytes, logStartOffset: log.logStartOffset }, 'deleted segments by retention');
    }
    return deleted;
  }

  /** Deletes the logs of a topic (partitions [from, partitions)): closes them, renames their folders aside, removes them. */
  async deleteLogs(topic: string, partitions: number, from = 0): Promise<void> {
    for (let p = from; p < partitions; p++) {
      const name = logDirName(topic, p);
      const log = this.logs.get(name);
      this.logs.delete(name);
      delete this.checkpoints[name];
      this.pointSegments.delete(name);
      if (log) {
        this.cleaner.forget(log);
        await log.deleteFiles();
      }
      const dir = join(this.options.dataDir, name);
      const aside = join(this.options.dataDir, `${randomBytes(8).toString('hex')}.deleted`);
      try {
        await fs.promises.rename(dir, aside);
        await removeIfExists(aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    this.resizeTailCaches();
    await this.withCheckpointLock(() => this.writeCheckpoints());
  }

  /** fsyncs every log with unsynced data. */
  async flushAll(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const log of this.logs.values()) {
        if (log.syncedEndOffset < log.writtenEndOffset && !log.offline) await log.flush();
      }
    } catch (e) {
      // An I/O error took that log offline (and was reported); a full disk is reported here.
      if (isNoSpace((e as Error).cause)) this.options.logger.warn({ err: e }, 'background flush failed: disk full');
    } finally {
      this.flushing = false;
    }
  }

  /** Runs `fn` with no other recovery-point computation or write in between. */
  private withCheckpointLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.checkpointLock.then(fn);
    this.checkpointLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async recordPoint(name: string, log: Log): Promise<void> {
    const point = await log.checkpoint();
    this.checkpoints[name] = point;
    const segment = log.segments.find((s) => s.baseOffset === point.segment);
    if (segment) this.pointSegments.set(name, segment);
  }

  /**
   * Makes every log durable up to now and records the recovery points. A log that cannot be
   * checkpointed (offline, disk full) keeps its previous point; the others still move.
   */
  checkpointAll(): Promise<void> {
    this.checkpointRunning ??= this.withCheckpointLock(async () => {
      let failures = 0;
      for (const [name, log] of this.logs) {
        if (log.offline) continue;
        try {
          await this.recordPoint(name, log);
        } catch (e) {
          if (failures++ === 0) this.options.logger.warn({ log: name, err: e }, 'recovery checkpoint of a log failed; it keeps its previous recovery point');
        }
      }
      try {
        await this.writeCheckpoints();
      } catch (e) {
        this.options.logger.warn({ err: e }, 'writing the recovery checkpoint file failed; the previous one stays');
      }
    }).finally(() => (this.checkpointRunning = null));
    return this.checkpointRunning;
  }

  /**
   * The cleaner is about to replace segments of `log`. A recovery point inside one of them would
   * point at a byte position of a file about to change: move the point to the active segment
   * (never cleaned) and write it before the swap, and let no other checkpoint write interleave.
   */
  private aroundSwap(log: Log, replaced: readonly number[], swap: () => Promise<void>): Promise<void> {
    return this.withCheckpointLock(async () => {
      const point = this.checkpoints[log.name];
      if (point && replaced.includes(point.segment)) {
        await this.recordPoint(log.name, log);
        await this.writeCheckpoints();
      }
      await swap();
    });
  }

  private async writeCheckpoints(): Promise<void> {
    const logs: Record<string, RecoveryPoint> = {};
    for (const [name, log] of this.logs) {
      const point = this.checkpoints[name];
      if (!point) continue;
      // A point whose segment was replaced or deleted since is void: recover that log in full.
      const segment = this.pointSegments.get(name);
      if (segment && !log.segments.includes(segment)) {
        delete this.checkpoints[name];
        this.pointSegments.delete(name);
        continue;
      }
      logs[name] = point;
    }
    await writeFileAtomic(join(this.options.dataDir, CHECKPOINT_FILE), JSON.stringify({ version: 1, logs }) + '\n');
  }

  /**
   * Stops timers, closes every log (fsync), writes the checkpoint and the clean-shutdown marker.
   * Never throws: what cannot be written (a full disk, a failed log) is logged, the marker is then
   * left out, and the next start recovers from the last good checkpoint. Acknowledged data was
   * already durable before its acknowledgement.
   */
  async shutdown(): Promise<void> {
    for (const cancel of this.timers.splice(0)) cancel();
    await this.cleaner.close().catch((e: unknown) => this.options.logger.warn({ err: e }, 'stopping the log cleaner failed'));
    if (this.checkpointRunning) await this.checkpointRunning;
    let clean = true;
    await runLimited(
      [...this.logs].map(([name, log]) => async () => {
        try {
          await log.close();
          this.checkpoints[name] = { offset: log.logEndOffset, segment: log.active.baseOffset, position: log.active.writtenSize };
          this.pointSegments.set(name, log.active);
        } catch (e) {
          clean = false;
          this.options.logger.warn({ err: e, log: name }, 'closing log failed; it will be recovered at the next start');
        }
      }),
      SHUTDOWN_PARALLELISM,
    );
    try {
      await this.withCheckpointLock(() => this.writeCheckpoints());
      if (clean) await writeFileAtomic(join(this.options.dataDir, CLEAN_SHUTDOWN_FILE), `${new Date().toISOString()}\n`);
    } catch (e) {
      this.options.logger.warn({ err: e }, 'could not write the recovery checkpoint at shutdown; the next start recovers the logs');
    }
  }
}

/**
 * The recovery points of `recovery-checkpoint.json`. Written atomically by us, but a damaged disk
 * or a careless edit can leave anything in it: a point that is not three non-negative safe
 * integers is dropped (its log is then recovered in full) rather than trusted — `"logs": null`
 * used to stop start-up with a TypeError, and a position of -1 with a RangeError deep in index
 * code (found by the storage fuzzer, test/fuzz-storage.spec.ts).
 */
export function parseCheckpoints(text: string, logger: Logger): Record<string, RecoveryPoint> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    logger.warn('recovery checkpoint unreadable; recovering every log in full');
    return {};
  }
  const file = parsed as { version?: unknown; logs?: unknown } | null;
  if (typeof file !== 'object' || file === null || file.version !== 1 || typeof file.logs !== 'object' || file.logs === null) {
    logger.warn('recovery checkpoint has an unknown shape; recovering every log in full');
    return {};
  }
  const points: Record<string, RecoveryPoint> = {};
  const dropped: string[] = [];
  const valid = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  for (const [name, point] of Object.entries(file.logs as Record<string, unknown>)) {
    const p = point as Partial<Record<keyof RecoveryPoint, unknown>> | null;
    if (typeof p === 'object' && p !== null && valid(p.offset) && valid(p.segment) && valid(p.position)) points[name] = { offset: p.offset, segment: p.segment, position: p.position };
    else dropped.push(name);
  }
  if (dropped.length > 0) logger.warn({ logs: dropped }, 'recovery checkpoint has invalid points; recovering those logs in full');
  return points;
}

/** Logs closed at once at shutdown (each close is a few fsyncs on the thread pool). */
const SHUTDOWN_PARALLELISM = 16;

/** Runs `jobs`, at most `limit` at a time. */
export async function runLimited(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
