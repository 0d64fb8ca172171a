/**
 * Log: the append-only log of one partition, a list of LogSegments ordered by base offset; the
 * last one is active and takes appends.
 *
 * Offsets: `logStartOffset` <= `highWatermark` <= `logEndOffset`.
 * - logEndOffset (LEO): next offset to assign. Appends assign offsets synchronously, in call
 *   order, so the order in which produce requests arrive is the order in the log.
 * - highWatermark (HW): end of what the OS has accepted; consumers read below it. On a single
 *   broker it is the written end; with replication it will become the replicated end.
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
 * Not thread-safe: event loop only. Reads may overlap writes (they stay below writtenSize).
 */
import { ERRORS, StrataError, stampBatch, type BatchView } from '@strata/protocol';
import { readAt } from '../util/fs-io';
import type { TopicConfig } from '../config/topic-config';
import type { Clock } from '../util/clock';
import type { FilePool } from './file-pool';
import { ProducerStateManager, isIdempotent } from './producer-state';
import { NO_INLINE_WRITES, type InlineWrites } from './inline-writes';
import { OffsetWaiters } from './offset-waiters';
import { TailCache } from './tail-cache';
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

/** Relative offsets in the index are uint32; roll well before they could overflow. */
const MAX_OFFSETS_PER_SEGMENT = 2 ** 31 - 1;

export function storageError(message: string, cause?: unknown): StrataError {
  return new StrataError(ERRORS.KAFKA_STORAGE_ERROR, message, { cause });
}

export class Log {
  segments: LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  syncedEndOffset: number;
  readonly producerState: ProducerStateManager;
  /** Recent batches in memory for reads at the end of the log (sized by the LogManager). */
  readonly tail = new TailCache(0);
  /** Clock time the active segment got its first batch (segment.ms counts from here). */
  private activeSince: number;
  private readonly pending = new WriteQueue();
  private writing = false;
  private syncing = false;
  private readonly writeWaiters = new OffsetWaiters();
  private readonly syncWaiters = new OffsetWaiters();
  private readonly watchers = new Set<() => void>();
  private closed = false;
  /** Incremented by each failed write, which takes back the offsets queued behind it. */
  private generation = 0;
  private lastFailure: StrataError | null = null;
  private idle: Promise<void> | null = null;
  private idleResolve: (() => void) | null = null;

  constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    public config: LogConfig,
    private readonly clock: Clock,
    segments: LogSegment[],
    logEndOffset: number,
    logStartOffset: number,
    /** Bounds open segment files across logs; null: files stay open. */
    readonly pool: FilePool | null = null,
    /** When small appends may be written synchronously (default: never). */
    private readonly inline: InlineWrites = NO_INLINE_WRITES,
  ) {
    if (segments.length === 0) throw new Error('a log needs at least one segment');
    this.segments = segments;
    this.logEndOffset = logEndOffset;
    this.highWatermark = logEndOffset;
    this.syncedEndOffset = logEndOffset;
    this.logStartOffset = logStartOffset;
    this.producerState = new ProducerStateManager(dir);
    const active = this.active;
    this.activeSince = active.size > 0 && active.firstBatchTimestamp >= 0 ? Math.min(active.firstBatchTimestamp, clock.now()) : clock.now();
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Total bytes of all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /**
   * Appends validated batches: stamps their offsets (in place) and queues them for writing.
   * Synchronous: when it returns, the offsets are taken. Await waitWritten / waitDurable with
   * `endOffset` for the acknowledgement the producer asked for.
   */
  append(batches: readonly BatchView[], leaderEpoch: number): AppendResult {
    if (this.closed) throw storageError(`log ${this.name} is closed`);
    const first = batches[0];
    if (first && isIdempotent(first.header)) {
      if (batches.length !== 1) throw new StrataError(ERRORS.INVALID_RECORD, 'an idempotent produce carries exactly one batch per partition');
      const decision = this.producerState.check(first.header);
      if (decision.kind === 'duplicate') {
        const b = decision.batch;
        return { baseOffset: b.baseOffset, lastOffset: b.lastOffset, endOffset: b.lastOffset + 1, generation: b.generation, duplicate: true };
      }
    }
    const baseOffset = this.logEndOffset;
    // Taken before drain(): an inline write that fails there moves to the next generation, and
    // the caller's waits must then reject, not wait for offsets that will be assigned again.
    const generation = this.generation;
    const now = this.clock.now();
    for (const batch of batches) {
      const offset = this.logEndOffset;
      const size = batch.bytes.length;
      this.maybeRoll(size, offset + batch.header.lastOffsetDelta);
      stampBatch(batch.bytes, 0, offset, leaderEpoch);
      const segment = this.active;
      const position = segment.track(offset, size, batch.header.maxTimestamp);
      this.logEndOffset = offset + batch.header.lastOffsetDelta + 1;
      if (isIdempotent(batch.header)) this.producerState.record(batch.header, offset, this.generation, now);
      this.tail.add(offset, this.logEndOffset, batch.bytes);
      this.pending.enqueue(segment, batch.bytes, position, this.logEndOffset);
    }
    const endOffset = this.logEndOffset;
    this.drain();
    return { baseOffset, lastOffset: endOffset - 1, endOffset, generation, duplicate: false };
  }

  private maybeRoll(bytes: number, lastOffset: number): void {
    const active = this.active;
    if (active.size === 0) {
      this.activeSince = this.clock.now();
      return;
    }
    const full = active.size + bytes > this.config.segmentBytes;
    const old = this.clock.now() - this.activeSince >= this.config.segmentMs;
    const offsetsExhausted = lastOffset - active.baseOffset > MAX_OFFSETS_PER_SEGMENT;
    if (full || old || offsetsExhausted) this.roll();
  }

  /** Starts a new active segment at the log end offset. */
  roll(): LogSegment {
    const segment = new LogSegment({ dir: this.dir, baseOffset: this.logEndOffset, fresh: true, indexIntervalBytes: this.config.indexIntervalBytes, ...(this.pool ? { pool: this.pool } : {}) });
    const previous = this.active;
    previous.writable = false;
    // The closed segment's indexes are complete now: write them out in the background.
    void Promise.all([previous.offsetIndex.flush(), previous.timeIndex.flush()]).catch(() => undefined);
    this.segments.push(segment);
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

  /** Everything below `endOffset` is written: readers and acks=1 waiters may proceed. */
  private written(endOffset: number): void {
    this.highWatermark = endOffset;
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
    const error = storageError(`write to ${failed.segment.logPath} failed: ${(cause as Error).message}`, cause);
    this.pending.clear();
    this.generation++;
    this.lastFailure = error;
    const writtenEnd = this.highWatermark;
    this.writeWaiters.rejectAbove(writtenEnd, error);
    this.syncWaiters.rejectAbove(writtenEnd, error);
    // Drop segments created after the failed one (they hold nothing written).
    const idx = this.segments.indexOf(failed.segment);
    const dropped = this.segments.splice(idx + 1);
    failed.segment.writable = true;
    this.logEndOffset = writtenEnd;
    this.producerState.truncateFrom(writtenEnd);
    this.tail.truncateFrom(writtenEnd);
    const segment = failed.segment;
    segment.size = segment.writtenSize;
    try {
      for (const s of dropped) await s.deleteFiles();
      await segment.truncateTo(segment.writtenSize, writtenEnd);
    } catch {
      // The disk may still refuse; the in-memory state is already consistent with the file's
      // valid prefix, and recovery truncates any torn tail at start-up.
    }
  }

  /** Rejects when the append of `generation` was taken back by a failed write. */
  private staleAppend(generation: number | undefined): Promise<void> | null {
    if (generation === undefined || generation === this.generation) return null;
    return Promise.reject(this.lastFailure ?? storageError(`write to ${this.name} failed`));
  }

  /** Resolves once every offset below `endOffset` is written to the OS (acks=1). */
  waitWritten(endOffset: number, generation?: number): Promise<void> {
    if (this.highWatermark >= endOffset) return Promise.resolve();
    const stale = this.staleAppend(generation);
    if (stale) return stale;
    return this.writeWaiters.wait(endOffset);
  }

  /** Resolves once every offset below `endOffset` is fsynced (durable acks). */
  waitDurable(endOffset: number, generation?: number): Promise<void> {
    if (this.syncedEndOffset >= endOffset) return Promise.resolve();
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
      while (this.syncWaiters.firstEndOffset <= this.highWatermark) {
        await this.syncWritten();
        this.syncWaiters.settle(this.syncedEndOffset);
      }
    } catch (cause) {
      this.syncWaiters.rejectAbove(this.syncedEndOffset, storageError(`fsync of ${this.name} failed: ${(cause as Error).message}`, cause));
    } finally {
      this.syncing = false;
    }
  }

  /** fsyncs every segment with written but unsynced bytes; advances syncedEndOffset. */
  private async syncWritten(): Promise<void> {
    const target = this.highWatermark;
    const dirty = this.segments.filter((s) => s.syncedSize < s.writtenSize);
    await Promise.all(dirty.map((s) => s.sync()));
    if (target > this.syncedEndOffset) this.syncedEndOffset = target;
  }

  /** fsyncs all written data now (background flush and shutdown). */
  async flush(): Promise<void> {
    await this.syncWritten();
    this.syncWaiters.settle(this.syncedEndOffset);
  }

  /**
   * Makes everything written so far durable, log and indexes, and returns the point from which
   * recovery must scan after a crash.
   */
  async checkpoint(): Promise<{ offset: number; segment: number; position: number }> {
    const active = this.active;
    const point = { offset: this.highWatermark, segment: active.baseOffset, position: active.writtenSize };
    // Batches past `point` may be tracked in the index already; flushing them is harmless
    // because recovery truncates index entries at or past `point.position`.
    await Promise.all(this.segments.map((s) => s.syncAll()));
    if (point.offset > this.syncedEndOffset) this.syncedEndOffset = point.offset;
    this.syncWaiters.settle(this.syncedEndOffset);
    this.producerState.expire(this.clock.now(), this.config.producerIdExpirationMs);
    await this.producerState.snapshot(point.offset);
    return point;
  }

  /** Calls `fn` after each completed write (parked fetches use it). Returns an unsubscribe. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Index of the segment holding `offset` (the last with baseOffset <= offset). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Reads whole stored batches from `offset`, up to `maxBytes` (at least one batch when
   * `minOneBatch`), never past the high watermark. Throws OFFSET_OUT_OF_RANGE outside
   * [logStartOffset, highWatermark].
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean): Promise<LogReadResult> {
    const hw = this.highWatermark;
    const lso = this.logStartOffset;
    if (offset < lso || offset > hw) {
      throw new StrataError(ERRORS.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${lso}, ${hw}] of ${this.name}`);
    }
    const active = this.active;
    if (offset === hw) return { records: EMPTY, highWatermark: hw, logStartOffset: lso, endSegment: active.baseOffset, endPosition: active.writtenSize };
    const cached = this.tail.read(offset, maxBytes, minOneBatch, hw);
    if (cached !== null) return { records: cached, highWatermark: hw, logStartOffset: lso, endSegment: active.baseOffset, endPosition: active.writtenSize };
    const segments = this.segments;
    for (let i = this.segmentIndexFor(offset); i < segments.length; i++) {
      const segment = segments[i]!;
      let result: SegmentReadResult;
      try {
        result = await segment.read(offset, maxBytes, segment.writtenSize, minOneBatch);
      } catch (cause) {
        if (cause instanceof StrataError) throw cause;
        throw storageError(`read of ${segment.logPath} failed: ${(cause as Error).message}`, cause);
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
   * Removes the `count` oldest segments (never the active one) and advances the log start offset
   * past them. Their files are renamed `*.deleted` at once and removed after `delayMs`, so a fetch
   * already reading one finishes. Returns the bytes removed.
   */
  deleteOldestSegments(count: number, delayMs: number): number {
    const n = Math.min(count, this.segments.length - 1);
    if (n <= 0) return 0;
    const victims = this.segments.splice(0, n);
    this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset);
    let bytes = 0;
    for (const v of victims) {
      bytes += v.size;
      void v.scheduleDeletion(delayMs);
    }
    return bytes;
  }

  /** Replaces consecutive closed segments by one (the cleaner's swap). */
  replaceSegments(olds: readonly LogSegment[], replacement: LogSegment): void {
    const at = this.segments.indexOf(olds[0]!);
    if (at < 0 || olds.some((s, i) => this.segments[at + i] !== s) || at + olds.length >= this.segments.length) {
      throw new Error(`cannot swap segments of ${this.name}: the log changed`);
    }
    this.segments.splice(at, olds.length, replacement);
    // Cached copies of the replaced batches are the uncleaned versions: never serve them again.
    this.tail.dropBefore(this.segments[at + 1]!.baseOffset);
  }

  get isClosed(): boolean {
    return this.closed;
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
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const found = await segment.findOffsetByTimestamp(timestamp, decompress);
      if (found && found.offset >= this.logStartOffset && found.offset < this.highWatermark) return found;
    }
    return null;
  }

  /**
   * Loads idempotent producer state: the newest snapshot, then every batch header after it
   * (start-up only).
   */
  async loadProducerState(): Promise<void> {
    const from = await this.producerState.load(this.logEndOffset);
    if (from >= this.logEndOffset) return;
    const now = this.clock.now();
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      await this.segments[i]!.forEachHeaderFrom(from, (header) => {
        if (isIdempotent(header)) this.producerState.record(header, header.baseOffset, this.generation, now);
      });
    }
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
    if (offset >= this.logEndOffset) return;
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      await this.segments.pop()!.deleteFiles();
    }
    const segment = this.active;
    segment.writable = true;
    this.tail.clear();
    // Position of the first batch containing an offset >= `offset`.
    const { endPosition, bytes } = await segment.read(offset, 1, segment.writtenSize, false);
    const position = endPosition - bytes.length;
    const cut = position < segment.writtenSize ? await firstOffsetAt(segment, position) : this.logEndOffset;
    await segment.truncateTo(position, cut);
    this.logEndOffset = this.highWatermark = Math.min(cut, this.logEndOffset);
    this.producerState.truncateFrom(this.logEndOffset);
    this.syncedEndOffset = Math.min(this.syncedEndOffset, this.logEndOffset);
    if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;
  }

  /** Waits for queued writes, fsyncs, closes every file. Appends fail afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.whenIdle();
    this.closed = true;
    await this.checkpoint();
    for (const s of this.segments) await s.close();
    const error = storageError(`log ${this.name} closed`);
    this.writeWaiters.rejectAbove(-1, error);
    this.syncWaiters.rejectAbove(-1, error);
  }

  /** Closes without flushing and deletes every file (topic deletion). */
  async deleteFiles(): Promise<void> {
    this.closed = true;
    await this.whenIdle();
    const error = storageError(`log ${this.name} was deleted`);
    this.writeWaiters.rejectAbove(-1, error);
    this.syncWaiters.rejectAbove(-1, error);
    for (const s of this.segments) await s.deleteFiles();
  }
}

const EMPTY = new Uint8Array(0);

async function firstOffsetAt(segment: LogSegment, position: number): Promise<number> {
  const head = await segment.use((fd) => readAt(fd, 8, position));
  return head.readInt32BE(0) * 4294967296 + head.readUInt32BE(4);
}
