/**
 * Log: the append-only log of one partition, a list of LogSegments ordered by base offset; the
 * last one is active and takes appends.
 *
 * Offsets: `logStartOffset` <= `highWatermark` <= `writtenEndOffset` <= `logEndOffset`.
 * - logEndOffset (LEO): next offset to assign. Appends assign offsets synchronously, in call
 *   order, so the order in which produce requests arrive is the order in the log.
 * - writtenEndOffset: end of what the OS has accepted; followers replicate up to it.
 * - highWatermark (HW): end of what consumers may read. A log that is not replicated moves it
 *   with every write; a replicated one (setReplicated) only when its Partition says so (the lowest
 *   log end offset of the in-sync replicas).
 * - syncedEndOffset: end of what has been fsynced. Durable produces wait for it.
 *
 * Writes: one writer per log drains a queue of pending batches with `writev`, coalescing
 * everything queued while the previous write ran, so disk writes stay large and sequential. An
 * append that finds nothing queued or being written, and is small enough for the broker's
 * InlineWrites policy, is written synchronously instead (a page-cache copy of a few µs, against
 * two thread hand-offs): the high watermark then moves before append() returns.
 * fsyncs are group commits: all durable waiters that arrived while one fsync ran share the next.
 * If a write fails (disk full, I/O error), every write queued behind it fails too, the in-memory
 * state rolls back to the written end and the file is truncated there: nothing acknowledged is
 * touched and the failed offsets, never visible or acknowledged, are assigned again later.
 *
 * Storage errors: a read that finds a damaged batch fails with CORRUPT_MESSAGE for that range
 * (reported once to `events.corrupt`) and other ranges stay readable; an I/O error other than a
 * full disk takes the log offline (reported once to `events.offline`): every later append and
 * read fails with KAFKA_STORAGE_ERROR until the broker restarts. A full disk only fails the
 * writes concerned; appends work again once space returns.
 *
 * Not thread-safe: event loop only. Reads may overlap writes (they stay below writtenSize).
 */
import type { Logger } from 'pino';
import { ERRORS, StrataError, stampBatch, type BatchView } from '@strata/protocol';
import type { TopicConfig } from '../config/topic-config';
import type { Clock } from '../util/clock';
import type { Scheduler } from '../util/scheduler';
import type { FilePool } from './file-pool';
import { CorruptBatchError } from './file-records';
import { ProducerStateManager, isIdempotent } from './producer-state';
import { NO_INLINE_WRITES, type InlineWrites } from './inline-writes';
import { OffsetWaiters } from './offset-waiters';
import { TailCache } from './tail-cache';
import type { Allocate } from '../util/fs-io';
import { WriteQueue, type PendingWrite } from './write-queue';
import { LogSegment, type SegmentReadResult } from './segment';

/** The settings a log works with: its topic's effective configuration. */
export type LogConfig = TopicConfig;

export interface LogReadResult {
  records: Uint8Array;
  highWatermark: number;
  logStartOffset: number;
  /** Where the read ended, for "how much data arrived since" checks by parked fetches. */
  endSegment: number;
  endPosition: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** Offset after the appended batches. */
  endOffset: number;
  /** Pass to waitWritten / waitDurable: a failed write in between makes them reject. */
  generation: number;
  /** True when an idempotent producer's retry was recognised: nothing was appended. */
  duplicate: boolean;
}

/** Where reads may go: consumers below the high watermark, followers up to the written end. */
export type ReadLimit = 'high-watermark' | 'written';

/** Storage problems a log reports once each, so the broker logs and counts them in one place. */
export interface LogEvents {
  /** The log went offline after an I/O error. */
  offline(log: Log, error: StrataError): void;
  /** A read found a damaged batch (reported once per file position). */
  corrupt(log: Log, error: CorruptBatchError): void;
}

const NO_EVENTS: LogEvents = { offline: () => undefined, corrupt: () => undefined };

export interface LogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock: Clock;
  /** Delayed work (removing deleted segments' files); tests drive it by hand. */
  scheduler: Scheduler;
  logger: Logger;
  /** At least one segment, ordered by base offset; the last is active. */
  segments: LogSegment[];
  logEndOffset: number;
  logStartOffset: number;
  /** Largest believable batch (the frame limit). */
  maxBatchBytes: number;
  /** Bounds open segment files across logs; null: files stay open. */
  pool?: FilePool | null;
  /** When small appends may be written synchronously (default: never). */
  inline?: InlineWrites;
  events?: LogEvents;
}

/** Relative offsets in the index are uint32; roll well before they could overflow. */
const MAX_OFFSETS_PER_SEGMENT = 2 ** 31 - 1;

export function storageError(message: string, cause?: unknown): StrataError {
  return new StrataError(ERRORS.KAFKA_STORAGE_ERROR, message, { cause });
}

/** errno codes that mean "no space": the disk is fine, writes may work again later. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

export function isNoSpace(cause: unknown): boolean {
  return NO_SPACE.has((cause as NodeJS.ErrnoException | undefined)?.code ?? '');
}

export class Log {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly producerState: ProducerStateManager;
  readonly pool: FilePool | null;
  private segs: LogSegment[];
  private cfg: LogConfig;
  private startOffset: number;
  private endOffset: number;
  private writtenEnd: number;
  private hw: number;
  private syncedEnd: number;
  /** True when a Partition moves the high watermark (replicated); false: it follows writes. */
  private replicated = false;
  /** Recent batches in memory for reads at the end of the log (sized by the LogManager). */
  private readonly tail = new TailCache(0);
  /** Clock time the active segment got its first batch (segment.ms counts from here). */
  private activeSince: number;
  private readonly pending = new WriteQueue();
  private writing = false;
  private syncing = false;
  private readonly writeWaiters = new OffsetWaiters();
  private readonly syncWaiters = new OffsetWaiters();
  private readonly hwWaiters = new OffsetWaiters();
  private readonly watchers = new Set<() => void>();
  private closed = false;
  /** A full disk was reported and no write succeeded since (reported once per episode). */
  private diskFullReported = false;
  /** Set when an I/O error took the log offline. */
  private offlineError: StrataError | null = null;
  /** Incremented by each failed write, which takes back the offsets queued behind it. */
  private generation = 0;
  private lastFailure: StrataError | null = null;
  private idle: Promise<void> | null = null;
  private idleResolve: (() => void) | null = null;
  /** The last recovery point taken, and the producer-state version snapshotted with it. */
  private lastCheckpoint: { offset: number; segment: number; position: number } | null = null;
  private lastSnapshotVersion = -1;
  /** File positions already reported as corrupt. */
  private readonly reportedCorrupt = new Set<string>();
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly inline: InlineWrites;
  private readonly events: LogEvents;
  private readonly maxBatchBytes: number;

  constructor(options: LogOptions) {
    if (options.segments.length === 0) throw new Error('a log needs at least one segment');
    this.dir = options.dir;
    this.topic = options.topic;
    this.partition = options.partition;
    this.cfg = options.config;
    this.clock = options.clock;
    this.scheduler = options.scheduler;
    this.logger = options.logger;
    this.pool = options.pool ?? null;
    this.inline = options.inline ?? NO_INLINE_WRITES;
    this.events = options.events ?? NO_EVENTS;
    this.maxBatchBytes = options.maxBatchBytes;
    this.segs = options.segments;
    this.endOffset = this.writtenEnd = this.hw = this.syncedEnd = options.logEndOffset;
    this.startOffset = options.logStartOffset;
    this.producerState = new ProducerStateManager(options.dir);
    const active = this.active;
    this.activeSince = active.size > 0 && active.firstBatchTimestamp >= 0 ? Math.min(active.firstBatchTimestamp, this.clock.now()) : this.clock.now();
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  get config(): LogConfig {
    return this.cfg;
  }

  /** New topic settings apply to the next append, roll and retention check. */
  setConfig(config: LogConfig): void {
    this.cfg = config;
  }

  get segments(): readonly LogSegment[] {
    return this.segs;
  }

  get active(): LogSegment {
    return this.segs[this.segs.length - 1]!;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get writtenEndOffset(): number {
    return this.writtenEnd;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get syncedEndOffset(): number {
    return this.syncedEnd;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The error that took the log offline, or null. */
  get offline(): StrataError | null {
    return this.offlineError;
  }

  /** Total bytes of all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.segs) n += s.size;
    return n;
  }

  /**
   * Bytes of memory held per structure that grows with a partition's traffic, each bounded by
   * design (finding 9 of the hardening issue): the tail cache (its share of log.tail.cache.bytes),
   * the in-memory part of the indexes (IndexFile: a bounded tail per index), producer state
   * (ProducerTable: fixed bytes per idempotent producer).
   */
  memoryUsage(): { tailCache: number; indexes: number; producerState: number } {
    let indexes = 0;
    for (const s of this.segs) indexes += s.offsetIndex.memoryBytes + s.timeIndex.memoryBytes;
    return { tailCache: this.tail.memoryBytes, indexes, producerState: this.producerState.memoryBytes };
  }

  /** Bytes the tail cache may hold (the LogManager shares a broker-wide budget). */
  setTailCacheBytes(bytes: number): void {
    this.tail.maxBytes = bytes;
    if (this.tail.bytes > bytes) this.tail.clear();
  }

  /** True when a Partition moves the high watermark (the log is replicated). */
  get isReplicated(): boolean {
    return this.replicated;
  }

  /**
   * Replicated logs move the high watermark only through setHighWatermark (their Partition knows
   * the followers); others move it with every write.
   */
  setReplicated(replicated: boolean): void {
    this.replicated = replicated;
    if (!replicated && this.hw < this.writtenEnd) this.setHighWatermark(this.writtenEnd);
  }

  /** Moves the high watermark forward (never past the written end, never back). */
  setHighWatermark(offset: number): void {
    const hw = Math.min(offset, this.writtenEnd);
    if (hw <= this.hw) return;
    this.hw = hw;
    this.hwWaiters.settle(hw);
    for (const watcher of this.watchers) watcher();
  }

  /** Resolves once the high watermark reaches `endOffset` (acks=all on a replicated log). */
  waitHighWatermark(endOffset: number, generation?: number): Promise<void> {
    if (this.hw >= endOffset) return Promise.resolve();
    const stale = this.staleAppend(generation);
    if (stale) return stale;
    return this.hwWaiters.wait(endOffset);
  }

  /** Rejects every high-watermark wait (leadership lost, or the ISR shrank below its minimum). */
  failHighWatermarkWaits(error: Error): void {
    this.hwWaiters.rejectAbove(-1, error);
  }

  /**
   * Appends batches copied from the leader, as they are (offsets and leader epochs already
   * stamped). Each must start at or after the log end offset (compaction on the leader leaves
   * gaps) and is checked whole (CRC included). Returns the new log end offset.
   */
  appendAsFollower(batches: readonly BatchView[]): number {
    this.assertWritable();
    const now = this.clock.now();
    for (const batch of batches) {
      const base = batch.header.baseOffset;
      if (base < this.endOffset) {
        throw new StrataError(ERRORS.CORRUPT_MESSAGE, `replicated batch at offset ${base} of ${this.name} is below the log end offset ${this.endOffset}`);
      }
      this.enqueue(batch, base, now);
    }
    this.drain();
    return this.endOffset;
  }

  /**
   * Appends validated batches: stamps their offsets (in place) and queues them for writing.
   * Synchronous: when it returns, the offsets are taken. Await waitWritten / waitDurable with
   * `endOffset` for the acknowledgement the producer asked for.
   */
  append(batches: readonly BatchView[], leaderEpoch: number): AppendResult {
    this.assertWritable();
    const first = batches[0];
    if (first && isIdempotent(first.header)) {
      if (batches.length !== 1) throw new StrataError(ERRORS.INVALID_RECORD, 'an idempotent produce carries exactly one batch per partition');
      const decision = this.producerState.check(first.header);
      if (decision.kind === 'duplicate') {
        const b = decision.batch;
        return { baseOffset: b.baseOffset, lastOffset: b.lastOffset, endOffset: b.lastOffset + 1, generation: b.generation, duplicate: true };
      }
    }
    const baseOffset = this.endOffset;
    // Taken before drain(): an inline write that fails there moves to the next generation, and
    // the caller's waits must then reject, not wait for offsets that will be assigned again.
    const generation = this.generation;
    const now = this.clock.now();
    for (const batch of batches) {
      const offset = this.endOffset;
      stampBatch(batch.bytes, 0, offset, leaderEpoch);
      this.enqueue(batch, offset, now);
    }
    const endOffset = this.endOffset;
    this.drain();
    return { baseOffset, lastOffset: endOffset - 1, endOffset, generation, duplicate: false };
  }

  /** Queues one stamped batch at `offset` (the log end offset). */
  private enqueue(batch: BatchView, offset: number, now: number): void {
    const size = batch.bytes.length;
    this.maybeRoll(size, offset + batch.header.lastOffsetDelta);
    const segment = this.active;
    const position = segment.track(offset, size, batch.header.maxTimestamp);
    this.endOffset = offset + batch.header.lastOffsetDelta + 1;
    if (isIdempotent(batch.header)) this.producerState.record(batch.header, offset, this.generation, now);
    this.tail.add(offset, this.endOffset, batch.bytes);
    this.pending.enqueue(segment, batch.bytes, position, this.endOffset);
  }

  private assertWritable(): void {
    if (this.offlineError) throw this.offlineError;
    if (this.closed) throw storageError(`log ${this.name} is closed`);
  }

  private maybeRoll(bytes: number, lastOffset: number): void {
    const active = this.active;
    if (active.size === 0) {
      this.activeSince = this.clock.now();
      return;
    }
    const full = active.size + bytes > this.cfg.segmentBytes;
    const old = this.clock.now() - this.activeSince >= this.cfg.segmentMs;
    const offsetsExhausted = lastOffset - active.baseOffset > MAX_OFFSETS_PER_SEGMENT;
    if (full || old || offsetsExhausted) this.roll();
  }

  /** Starts a new active segment at the log end offset. */
  roll(): LogSegment {
    const segment = new LogSegment({
      dir: this.dir,
      baseOffset: this.endOffset,
      fresh: true,
      indexIntervalBytes: this.cfg.indexIntervalBytes,
      maxBatchBytes: this.maxBatchBytes,
      ...(this.pool ? { pool: this.pool } : {}),
    });
    const previous = this.active;
    previous.seal();
    // The closed segment's indexes are complete now: write them out in the background.
    void Promise.all([previous.offsetIndex.flush(), previous.timeIndex.flush()]).catch((e: unknown) => this.ioFailed('index flush', previous.offsetIndex.path, e));
    this.segs.push(segment);
    this.activeSince = this.clock.now();
    return segment;
  }

  private drain(): void {
    if (this.writing || this.pending.length === 0) return;
    const only = this.pending.length === 1 ? this.pending.peek()! : null;
    if (only && this.inline.allows(only.bytes) && this.writeInline(only)) return;
    this.writing = true;
    void this.writeLoop();
  }

  /**
   * Writes the only pending write synchronously; false when its segment's file is not open (the
   * write loop opens it). A failure takes the same path as an asynchronous one.
   */
  private writeInline(write: PendingWrite): boolean {
    let done: boolean;
    try {
      done = this.inline.run(() => write.segment.writeSync(write.buffers, write.position, write.bytes));
    } catch (cause) {
      this.pending.shift();
      // As in the write loop: nothing else is written until the failure is handled; then the
      // loop writes what was appended meanwhile and reports idle.
      this.writing = true;
      void this.failWrites(write, cause).then(() => this.writeLoop());
      return true;
    }
    if (!done) return false;
    this.pending.shift();
    this.written(write.endOffset);
    return true;
  }

  /** Everything below `endOffset` is written: followers, acks=1 waiters (and, unreplicated, consumers) may proceed. */
  private written(endOffset: number): void {
    this.writtenEnd = endOffset;
    this.diskFullReported = false;
    if (!this.replicated) {
      this.hw = endOffset;
      this.hwWaiters.settle(endOffset);
    }
    this.writeWaiters.settle(endOffset);
    if (this.syncWaiters.length > 0) void this.syncLoop();
    for (const watcher of this.watchers) watcher();
  }

  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      // Take the head write; appends arriving meanwhile are coalesced into the entries behind it.
      const write = this.pending.shift()!;
      try {
        await write.segment.write(write.buffers, write.position, write.bytes);
      } catch (cause) {
        await this.failWrites(write, cause);
        continue;
      }
      this.written(write.endOffset);
    }
    this.writing = false;
    if (this.idleResolve) {
      this.idleResolve();
      this.idleResolve = null;
      this.idle = null;
    }
  }

  /** A write failed: fail it and everything queued behind it, and roll back to the written end. */
  private async failWrites(failed: PendingWrite, cause: unknown): Promise<void> {
    const error = this.ioFailed('write', failed.segment.logPath, cause);
    this.pending.clear();
    this.generation++;
    this.lastFailure = error;
    const writtenEnd = this.writtenEnd;
    this.writeWaiters.rejectAbove(writtenEnd, error);
    this.syncWaiters.rejectAbove(writtenEnd, error);
    this.hwWaiters.rejectAbove(writtenEnd, error);
    // Drop segments created after the failed one (they hold nothing written).
    const idx = this.segs.indexOf(failed.segment);
    const dropped = this.segs.splice(idx + 1);
    failed.segment.unseal();
    this.endOffset = writtenEnd;
    this.producerState.truncateFrom(writtenEnd);
    this.tail.truncateFrom(writtenEnd);
    const segment = failed.segment;
    segment.discardUnwritten();
    try {
      for (const s of dropped) await s.deleteFiles();
      await segment.truncateTo(segment.writtenSize, writtenEnd);
    } catch (e) {
      // The in-memory state already matches the file's valid prefix, and recovery truncates any
      // torn tail at start-up; a disk that refuses even this is reported once.
      this.ioFailed('truncate after a failed write', segment.logPath, e);
    }
  }

  /**
   * An I/O operation failed: a full disk fails only this operation; any other error takes the
   * log offline (reported once). Returns the error to give the caller.
   */
  private ioFailed(operation: string, path: string, cause: unknown): StrataError {
    const message = (cause as Error)?.message ?? String(cause);
    if (isNoSpace(cause)) {
      if (!this.diskFullReported) this.logger.warn({ log: this.name, path, operation, err: cause }, 'disk full: writes to this partition fail until space returns');
      this.diskFullReported = true;
      return storageError(`the broker's disk is full: ${operation} of ${path} failed (${message})`, cause);
    }
    const error = storageError(`${operation} of ${path} failed: ${message}; partition ${this.name} is offline until the broker restarts`, cause);
    if (!this.offlineError && !this.closed) {
      this.offlineError = error;
      this.events.offline(this, error);
    }
    return error;
  }

  /** Rejects when the append of `generation` was taken back by a failed write. */
  private staleAppend(generation: number | undefined): Promise<void> | null {
    if (generation === undefined || generation === this.generation) return null;
    return Promise.reject(this.lastFailure ?? storageError(`write to ${this.name} failed`));
  }

  /** Resolves once every offset below `endOffset` is written to the OS (acks=1). */
  waitWritten(endOffset: number, generation?: number): Promise<void> {
    if (this.writtenEnd >= endOffset) return Promise.resolve();
    const stale = this.staleAppend(generation);
    if (stale) return stale;
    return this.writeWaiters.wait(endOffset);
  }

  /** Resolves once every offset below `endOffset` is fsynced (durable acks). */
  waitDurable(endOffset: number, generation?: number): Promise<void> {
    if (this.syncedEnd >= endOffset) return Promise.resolve();
    const stale = this.staleAppend(generation);
    if (stale) return stale;
    const p = this.syncWaiters.wait(endOffset);
    void this.syncLoop();
    return p;
  }

  private async syncLoop(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      while (this.syncWaiters.firstEndOffset <= this.writtenEnd) {
        await this.syncWritten();
        this.syncWaiters.settle(this.syncedEnd);
      }
    } catch (cause) {
      this.syncWaiters.rejectAbove(this.syncedEnd, this.ioFailed('fsync', this.dir, cause));
    } finally {
      this.syncing = false;
    }
  }

  /** fsyncs every segment with written but unsynced bytes; advances syncedEndOffset. */
  private async syncWritten(): Promise<void> {
    const target = this.writtenEnd;
    const dirty = this.segs.filter((s) => s.syncedSize < s.writtenSize);
    await Promise.all(dirty.map((s) => s.sync()));
    if (target > this.syncedEnd) this.syncedEnd = target;
  }

  /** fsyncs all written data now (background flush and shutdown). */
  async flush(): Promise<void> {
    if (this.offlineError) return;
    try {
      await this.syncWritten();
    } catch (cause) {
      throw this.ioFailed('fsync', this.dir, cause);
    }
    this.syncWaiters.settle(this.syncedEnd);
  }

  /**
   * Makes everything written so far durable, log and indexes, and returns the point from which
   * recovery must scan after a crash.
   */
  async checkpoint(): Promise<{ offset: number; segment: number; position: number }> {
    if (this.offlineError) throw this.offlineError;
    const active = this.active;
    const point = { offset: this.writtenEnd, segment: active.baseOffset, position: active.writtenSize };
    this.producerState.expire(this.clock.now(), this.cfg.producerIdExpirationMs);
    const last = this.lastCheckpoint;
    // Nothing written since the last checkpoint: nothing to fsync or snapshot (a broker with
    // thousands of idle partitions checkpoints them for free).
    if (last && last.offset === point.offset && last.segment === point.segment && last.position === point.position && this.producerState.version === this.lastSnapshotVersion) {
      return point;
    }
    // Batches past `point` may be tracked in the index already; flushing them is harmless
    // because recovery truncates index entries at or past `point.position`.
    try {
      await Promise.all(this.segs.map((s) => s.syncAll()));
    } catch (cause) {
      throw this.ioFailed('checkpoint fsync', this.dir, cause);
    }
    if (point.offset > this.syncedEnd) this.syncedEnd = point.offset;
    this.syncWaiters.settle(this.syncedEnd);
    const version = this.producerState.version;
    try {
      await this.producerState.snapshot(point.offset);
      this.lastSnapshotVersion = version;
    } catch (e) {
      // Only a shortcut for the next start (it replays batch headers from an older snapshot).
      this.logger.warn({ log: this.name, err: e }, 'producer state snapshot failed; the next start replays it from the log');
    }
    this.lastCheckpoint = point;
    return point;
  }

  /** Calls `fn` after each completed write and high-watermark move (parked fetches use it). Returns an unsubscribe. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Index of the segment holding `offset` (the last with baseOffset <= offset). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segs[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Reads whole stored batches from `offset`, up to `maxBytes` (at least one batch when
   * `minOneBatch`), never past the high watermark (or, for followers, the written end). Throws
   * OFFSET_OUT_OF_RANGE outside [logStartOffset, limit], CORRUPT_MESSAGE when the batches there
   * are damaged, KAFKA_STORAGE_ERROR when the log is offline. The bytes returned are in buffers
   * from `alloc` when given (the caller's pooled lease: it must not release them before it is
   * done with them).
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, limit: ReadLimit = 'high-watermark', alloc?: Allocate): Promise<LogReadResult> {
    const now = this.readNow(offset, maxBytes, minOneBatch, limit, alloc);
    if (now !== null) return now;
    const hw = this.hw;
    const end = limit === 'written' ? this.writtenEnd : hw;
    const lso = this.startOffset;
    const active = this.active;
    const segments = this.segs;
    for (let i = this.segmentIndexFor(offset); i < segments.length; i++) {
      const segment = segments[i]!;
      const next = segments[i + 1];
      let result: SegmentReadResult;
      try {
        result = await segment.read({ offset, maxBytes, minOneBatch, maxPosition: segment.writtenSize, offsetLimit: next ? next.baseOffset : this.writtenEnd, visibleEnd: end, ...(alloc ? { alloc } : {}) });
      } catch (cause) {
        throw this.readFailed(segment, offset, cause);
      }
      // Go on to the next segment only when this one has nothing at or after the offset: a batch
      // that did not fit in maxBytes must not be skipped over.
      if (!result.exhausted || i === segments.length - 1) {
        return { records: result.bytes, highWatermark: hw, logStartOffset: lso, endSegment: segment.baseOffset, endPosition: result.endPosition };
      }
    }
    return { records: EMPTY, highWatermark: hw, logStartOffset: lso, endSegment: active.baseOffset, endPosition: active.writtenSize };
  }

  /**
   * What read() answers without a file read — the end of the log, or the tail cache — or null when
   * it must read a segment. Throws as read() does. A fetch of many partitions at the end of their
   * logs (the common case) then makes no promise per partition (finding 9: garbage per request).
   * Bytes from the tail cache are copied into a buffer from `alloc` when given.
   */
  readNow(offset: number, maxBytes: number, minOneBatch: boolean, limit: ReadLimit = 'high-watermark', alloc?: Allocate): LogReadResult | null {
    if (this.offlineError) throw this.offlineError;
    const hw = this.hw;
    const end = limit === 'written' ? this.writtenEnd : hw;
    const lso = this.startOffset;
    // A consumer may be ahead of a new leader's high watermark (it lags the old leader's until the
    // followers fetch again): that is "nothing yet", not out of range, while the log has it.
    const outside = offset < lso || (offset > end && (limit === 'written' || offset > this.writtenEnd));
    if (outside) {
      throw new StrataError(ERRORS.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${lso}, ${end}] of ${this.name}`);
    }
    const active = this.active;
    const records = offset >= end ? EMPTY : this.tail.read(offset, maxBytes, minOneBatch, end, alloc);
    return records === null ? null : { records, highWatermark: hw, logStartOffset: lso, endSegment: active.baseOffset, endPosition: active.writtenSize };
  }

  private readFailed(segment: LogSegment, offset: number, cause: unknown): StrataError {
    if (cause instanceof StrataError) return cause;
    if (cause instanceof CorruptBatchError) {
      const key = `${cause.path}:${cause.position}`;
      if (!this.reportedCorrupt.has(key)) {
        this.reportedCorrupt.add(key);
        this.events.corrupt(this, cause);
      }
      return new StrataError(
        ERRORS.CORRUPT_MESSAGE,
        `partition ${this.name} has a damaged batch at or after offset ${offset} (${cause.message}); an operator can move consumers past it with "strata partitions skip-corrupt ${this.topic} ${this.partition}"`,
        { cause },
      );
    }
    return this.ioFailed('read', segment.logPath, cause);
  }

  /**
   * Removes the `count` oldest segments (never the active one) and advances the log start offset
   * past them. Their files are renamed `*.deleted` at once and removed after `delayMs`, so a fetch
   * already reading one finishes. Returns the bytes removed.
   */
  deleteOldestSegments(count: number, delayMs: number): number {
    const n = Math.min(count, this.segs.length - 1);
    if (n <= 0) return 0;
    const victims = this.segs.splice(0, n);
    this.startOffset = Math.max(this.startOffset, this.segs[0]!.baseOffset);
    let bytes = 0;
    for (const v of victims) {
      bytes += v.size;
      this.retire(v, delayMs);
    }
    return bytes;
  }

  /** Renames a segment that left the log aside now and removes its files after `delayMs`. */
  retire(segment: LogSegment, delayMs: number): Promise<void> {
    const renamed = segment.markDeleted();
    void renamed.then(
      () =>
        this.scheduler.schedule(delayMs, () => {
          segment.removeDeleted().catch((e: unknown) => this.logger.warn({ log: this.name, segment: segment.logPath, err: e }, 'could not remove a deleted segment (start-up removes it)'));
        }),
      (e: unknown) => this.logger.warn({ log: this.name, segment: segment.logPath, err: e }, 'could not rename a deleted segment aside'),
    );
    return renamed;
  }

  /** Replaces consecutive closed segments by one (the cleaner's swap). */
  replaceSegments(olds: readonly LogSegment[], replacement: LogSegment): void {
    const at = this.segs.indexOf(olds[0]!);
    if (at < 0 || olds.some((s, i) => this.segs[at + i] !== s) || at + olds.length >= this.segs.length) {
      throw new Error(`cannot swap segments of ${this.name}: the log changed`);
    }
    this.segs.splice(at, olds.length, replacement);
    // Cached copies of the replaced batches are the uncleaned versions: never serve them again.
    this.tail.dropBefore(this.segs[at + 1]!.baseOffset);
  }

  /** Where the data written so far ends: (active segment, its written size). */
  get writtenPosition(): { segment: number; position: number } {
    const active = this.active;
    return { segment: active.baseOffset, position: active.writtenSize };
  }

  /** Bytes written since a read ended at (`segment`, `position`); large if a segment rolled since. */
  bytesSince(segment: number, position: number): number {
    const active = this.active;
    if (active.baseOffset === segment) return active.writtenSize - position;
    return Number.MAX_SAFE_INTEGER;
  }

  /**
   * First offset whose record timestamp is >= `timestamp`, with that timestamp; null when every
   * record is older.
   */
  async offsetForTimestamp(timestamp: number, decompress: (batch: Uint8Array) => Uint8Array | null): Promise<{ offset: number; timestamp: number } | null> {
    if (this.offlineError) throw this.offlineError;
    for (const segment of this.segs) {
      if (segment.maxTimestamp < timestamp) continue;
      let found: { offset: number; timestamp: number } | null;
      try {
        found = await segment.findOffsetByTimestamp(timestamp, decompress);
      } catch (cause) {
        throw this.readFailed(segment, segment.baseOffset, cause);
      }
      if (found && found.offset >= this.startOffset && found.offset < this.hw) return found;
    }
    return null;
  }

  /**
   * Loads idempotent producer state: the newest snapshot, then every batch header after it
   * (start-up only).
   */
  async loadProducerState(): Promise<void> {
    const from = await this.producerState.load(this.endOffset);
    if (from < this.endOffset) {
      const now = this.clock.now();
      for (let i = this.segmentIndexFor(from); i < this.segs.length; i++) {
        await this.segs[i]!.forEachHeaderFrom(from, (header) => {
          if (isIdempotent(header)) this.producerState.record(header, header.baseOffset, this.generation, now);
        });
      }
    }
    // A loaded log is durable as it stands (clean, or recovered and fsynced by the loader): the
    // first checkpoint has nothing to do unless producer state had to be replayed (then a
    // snapshot at the log end spares the next start the replay).
    const active = this.active;
    this.lastCheckpoint = { offset: this.writtenEnd, segment: active.baseOffset, position: active.writtenSize };
    this.lastSnapshotVersion = from >= this.endOffset ? this.producerState.version : -1;
  }

  /** Waits until no write is queued or running. */
  async whenIdle(): Promise<void> {
    if (!this.writing && this.pending.length === 0) return;
    this.idle ??= new Promise((resolve) => (this.idleResolve = resolve));
    await this.idle;
  }

  /**
   * Removes every record at or after `offset` (a batch that contains it goes whole). For
   * replication: a follower truncates to the leader's end before fetching.
   */
  async truncateTo(offset: number): Promise<void> {
    await this.whenIdle();
    if (offset >= this.endOffset) return;
    while (this.segs.length > 1 && this.active.baseOffset >= offset) {
      await this.segs.pop()!.deleteFiles();
    }
    const segment = this.active;
    segment.unseal();
    this.tail.clear();
    // The first batch containing an offset >= `offset` goes, with everything after it.
    const first = await segment.firstBatchFrom(offset);
    const position = first?.position ?? segment.writtenSize;
    const cut = first?.header.baseOffset ?? this.endOffset;
    await segment.truncateTo(position, cut);
    this.endOffset = this.writtenEnd = Math.min(cut, this.endOffset);
    if (this.hw > this.endOffset) this.hw = this.endOffset;
    this.syncedEnd = Math.min(this.syncedEnd, this.endOffset);
    if (this.startOffset > this.endOffset) this.startOffset = this.endOffset;
    // Idempotent-producer state is rebuilt, not just trimmed: a snapshot past the cut is void.
    await this.loadProducerState();
  }

  /**
   * Removes every segment and starts the log empty at `offset` (a follower whose log end is below
   * the leader's log start offset: what it lacks is gone from the leader too).
   */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.whenIdle();
    const old = this.segs.splice(0);
    for (const s of old) await s.deleteFiles();
    this.segs.push(
      new LogSegment({ dir: this.dir, baseOffset: offset, fresh: true, indexIntervalBytes: this.cfg.indexIntervalBytes, maxBatchBytes: this.maxBatchBytes, ...(this.pool ? { pool: this.pool } : {}) }),
    );
    this.tail.clear();
    this.startOffset = this.endOffset = this.writtenEnd = this.hw = this.syncedEnd = offset;
    this.activeSince = this.clock.now();
    await this.loadProducerState();
  }

  /** Waits for queued writes, fsyncs, closes every file. Appends fail afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.whenIdle();
    this.closed = true;
    try {
      if (!this.offlineError) await this.checkpoint();
    } finally {
      for (const s of this.segs) await s.close().catch((e: unknown) => this.logger.warn({ log: this.name, segment: s.logPath, err: e }, 'closing a segment failed'));
      const error = storageError(`log ${this.name} closed`);
      this.writeWaiters.rejectAbove(-1, error);
      this.syncWaiters.rejectAbove(-1, error);
      this.hwWaiters.rejectAbove(-1, error);
    }
  }

  /** Closes without flushing and deletes every file (topic deletion). */
  async deleteFiles(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    const error = storageError(`log ${this.name} was deleted`);
    this.writeWaiters.rejectAbove(-1, error);
    this.syncWaiters.rejectAbove(-1, error);
    this.hwWaiters.rejectAbove(-1, error);
    for (const s of this.segs) await s.deleteFiles();
  }
}

const EMPTY = new Uint8Array(0);
