/**
 * LogSegment: one `<baseOffset>.log` file of record batches stored exactly as produced (offsets
 * stamped), with its OffsetIndex and TimeIndex. File names are the base offset as 20 digits.
 *
 * Sizes: `size` counts bytes assigned to the segment (some may still be queued for writing);
 * `writtenSize` counts bytes the OS has accepted; reads never go past `writtenSize`. Bytes are
 * only ever appended at `writtenSize`, in offset order, by the owning Log's single writer.
 *
 * The file descriptor is opened lazily (O_RDWR | O_CREAT) and kept until close(). Not thread-safe:
 * the owning Log serializes appends; reads may run concurrently with the writer since they only
 * touch bytes below `writtenSize`.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, StrataProtocolError, decodeRecords, iterateBatches, lastOffsetOf, readBatchHeader, type RecordBatchHeader } from '@strata/protocol';
import { closeFile, fdatasync, fstatSize, ftruncate, openFile, readAt, writevAll, writevAllSync, type Allocate } from '../util/fs-io';
import { BatchScanner, CorruptBatchError, NEED_READ, batchesFrom, type FileBatch } from './file-records';
import type { FilePool } from './file-pool';
import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Parses `00000000000000000042.log` into 42, or null for other names. */
export function parseSegmentFileName(name: string, suffix = LOG_SUFFIX): number | null {
  if (!name.endsWith(suffix)) return null;
  const digits = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

export interface SegmentOptions {
  dir: string;
  baseOffset: number;
  /** Bytes already in the file (a loaded segment); default 0. */
  size?: number;
  /** True for a new segment: empty indexes, nothing to load. */
  fresh: boolean;
  indexIntervalBytes: number;
  /** Appended to every file name: the cleaner writes `.cleaned` segments. */
  fileSuffix?: string;
  /** Bounds open descriptors across segments; none: the file stays open until close(). */
  pool?: FilePool;
  /** Largest believable batch (the frame limit): a longer length field is corruption. */
  maxBatchBytes: number;
}

export interface SegmentReadResult {
  /** Whole batches, the first containing or following the requested offset. May be empty. */
  bytes: Uint8Array;
  /** File position just after the returned bytes. */
  endPosition: number;
  /**
   * True when the segment holds no batch at or after the offset (the read may go on to the next
   * segment); false when it returned data or a batch exists but did not fit in `maxBytes`.
   */
  exhausted: boolean;
}

export interface SegmentReadRequest {
  offset: number;
  maxBytes: number;
  /** Never read at or past this file position (the written size). */
  maxPosition: number;
  /** Return the first batch even when it is larger than maxBytes. */
  minOneBatch: boolean;
  /** No offset in the segment may reach this (the next segment's base, or the log's written end). */
  offsetLimit?: number;
  /** Return only batches that end below this offset (the high watermark for consumers). */
  visibleEnd?: number;
  /** Where read buffers come from (the fetch's pooled lease); default Buffer.allocUnsafe. */
  alloc?: Allocate;
}

interface IndexedScan {
  readonly batches: BatchScanner;
  /** File position the scan has reached. */
  readonly position: number;
  /** Steps to the first batch whose last offset is >= `offset`; null at the end. */
  find(offset: number): Promise<FileBatch | null>;
}

/** Result of recovering a segment: what was valid, and how much was cut. */
export interface RecoveryResult {
  nextOffset: number;
  truncatedBytes: number;
  batches: number;
  /** The batch recovery stopped at, when it stopped before the end of the file. */
  invalid: CorruptBatchError | null;
}

export interface IndexEntry {
  offset: number;
  position: number;
}

/** Largest single read of a segment (a fetch asks for at most this much from one partition). */
const MAX_READ_CHUNK = 16 * 1024 * 1024;
const EMPTY = new Uint8Array(0);

export class LogSegment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly logPath: string;
  readonly dir: string;
  readonly baseOffset: number;
  /** Bytes assigned to the segment, some perhaps still queued for writing. */
  private assigned: number;
  /** Bytes the OS has accepted. */
  private written: number;
  /** Bytes fsynced. */
  private synced: number;
  private maxTs = -1;
  private firstBatchTs = -1;
  /** True once the segment left its log (retention or a cleaner swap). */
  private removed = false;
  /** True for the log's active segment: its indexes grow (a bounded tail of them in memory) and are never unloaded. */
  private open: boolean;
  private bytesSinceIndexEntry = 0;
  private fd: number | null = null;
  private opening: Promise<number> | null = null;
  private readonly indexIntervalBytes: number;
  private readonly maxBatchBytes: number;
  private readonly pool: FilePool | null;
  private users = 0;

  constructor(options: SegmentOptions) {
    const { dir, baseOffset, fresh } = options;
    const suffix = options.fileSuffix ?? '';
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.maxBatchBytes = options.maxBatchBytes;
    this.pool = options.pool ?? null;
    this.open = fresh;
    this.logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX) + suffix);
    this.offsetIndex = new OffsetIndex(join(dir, segmentFileName(baseOffset, INDEX_SUFFIX) + suffix), baseOffset, fresh);
    this.timeIndex = new TimeIndex(join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX) + suffix), baseOffset, fresh);
    this.assigned = this.written = this.synced = options.size ?? 0;
  }

  /** Bytes assigned to the segment (some may still be queued for writing). */
  get size(): number {
    return this.assigned;
  }

  /** Bytes the OS has accepted: reads never go past this. */
  get writtenSize(): number {
    return this.written;
  }

  /** Bytes fsynced. */
  get syncedSize(): number {
    return this.synced;
  }

  /** Largest record timestamp in the segment, -1 when empty. */
  get maxTimestamp(): number {
    return this.maxTs;
  }

  /** maxTimestamp of the first batch: segment.ms counts from it. -1 when empty. */
  get firstBatchTimestamp(): number {
    return this.firstBatchTs;
  }

  /** True for the log's active segment, whose indexes grow and are never unloaded. */
  get writable(): boolean {
    return this.open;
  }

  /** True once the segment left its log. */
  get deleted(): boolean {
    return this.removed;
  }

  /** The segment stops taking appends (it rolled); its indexes may be unloaded when idle. */
  seal(): void {
    this.open = false;
  }

  /** The segment is the log's active one again (after a failed write or a truncation). */
  unseal(): void {
    this.open = true;
  }

  /** A segment made elsewhere (the cleaner) whose timestamps are known without reading it. */
  setTimestamps(maxTimestamp: number, firstBatchTimestamp: number): void {
    this.maxTs = maxTimestamp;
    this.firstBatchTs = firstBatchTimestamp;
  }

  /** Forgets bytes assigned but never written (a failed write). */
  discardUnwritten(): void {
    this.assigned = this.written;
  }

  get busy(): boolean {
    return this.users > 0;
  }

  /**
   * Runs `fn` with the log file's descriptor, opening (creating) the file if needed. The pool
   * will not close it while `fn` runs.
   */
  async use<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    this.users++;
    try {
      if (this.fd === null) {
        this.opening ??= openFile(this.logPath, fs.constants.O_RDWR | fs.constants.O_CREAT).then(
          (fd) => {
            this.fd = fd;
            this.opening = null;
            return fd;
          },
          (e: unknown) => {
            this.opening = null;
            throw e;
          },
        );
        await this.opening;
      }
      if (!this.deleted) this.pool?.touch(this);
      return await fn(this.fd!);
    } finally {
      this.users--;
    }
  }

  /** Creates the file if it does not exist yet. */
  async create(): Promise<void> {
    await this.use(async () => undefined);
  }

  /** Pool eviction: closes the file when idle; a closed-for-writing segment also frees its indexes. */
  async release(): Promise<void> {
    if (this.users > 0 || this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    await closeFile(fd).catch(() => undefined);
    if (!this.writable && !this.deleted) {
      await this.offsetIndex.unload();
      await this.timeIndex.unload();
    }
  }

  /**
   * Records, in memory, a batch about to be written at `position` = current `size`: updates size
   * and the indexes. Called by the Log synchronously, in offset order.
   */
  track(baseOffset: number, bytes: number, maxTimestamp: number): number {
    const position = this.assigned;
    if (this.firstBatchTs < 0) this.firstBatchTs = maxTimestamp;
    const newMax = maxTimestamp > this.maxTs ? maxTimestamp : this.maxTs;
    if (this.bytesSinceIndexEntry >= this.indexIntervalBytes || position === 0) {
      this.offsetIndex.append(baseOffset, position);
      // Every record up to and including this batch has a timestamp <= newMax.
      this.timeIndex.append(newMax, baseOffset);
      this.bytesSinceIndexEntry = 0;
    }
    this.maxTs = newMax;
    this.bytesSinceIndexEntry += bytes;
    this.assigned += bytes;
    return position;
  }

  /** Writes buffers at `position` (which must equal writtenSize). */
  write(buffers: Uint8Array[], position: number, bytes: number): Promise<void> {
    const fd = this.fd;
    if (fd === null) {
      return this.use(async (opened) => {
        await writevAll(opened, buffers, position);
        this.written = position + bytes;
      });
    }
    // The file is open (the common case): what use() does, without its two async functions: a
    // write per batch per partition is the broker's hottest path under many small produces.
    this.users++;
    if (!this.deleted) this.pool?.touch(this);
    return writevAll(fd, buffers, position).then(
      () => {
        this.users--;
        this.written = position + bytes;
      },
      (e: unknown) => {
        this.users--;
        throw e;
      },
    );
  }

  /**
   * Writes buffers at `position` (which must equal writtenSize) synchronously, if the file is
   * open; returns false, writing nothing, when it is not (the caller then writes asynchronously,
   * which opens it). Throws what the write throws.
   */
  writeSync(buffers: Uint8Array[], position: number, bytes: number): boolean {
    const fd = this.fd;
    if (fd === null) return false;
    writevAllSync(fd, buffers, position);
    this.written = position + bytes;
    return true;
  }

  /** fsyncs the log file (and flushes the indexes' pending entries, without fsyncing them). */
  async sync(): Promise<void> {
    const target = this.written;
    if (this.synced >= target) return;
    return this.use(async (fd) => {
      await fdatasync(fd);
      if (target > this.synced) this.synced = target;
    });
  }

  /** fsyncs log and both indexes: what a recovery checkpoint needs. */
  async syncAll(): Promise<void> {
    await this.sync();
    await this.offsetIndex.sync();
    await this.timeIndex.sync();
  }

  /**
   * Reads whole batches starting with the one that contains `offset` (or the first after it): at
   * most `maxBytes` unless the first batch alone is larger and `minOneBatch` is set; never at or
   * past `maxPosition`; only batches that end below `visibleEnd`. Every offset met must lie below
   * `offsetLimit` (the next segment's base, or the log's written end), and every batch returned
   * passes its CRC-32C (one pass of the native CRC over bytes read from disk: a flipped bit on disk
   * is reported by the broker, with its file and position, instead of surprising consumers).
   * Throws CorruptBatchError when the first batch wanted cannot be right; damage after it ends the
   * read early.
   */
  async read(request: SegmentReadRequest): Promise<SegmentReadResult> {
    const { offset, maxBytes, maxPosition, minOneBatch } = request;
    const visibleEnd = request.visibleEnd ?? Number.MAX_SAFE_INTEGER;
    await this.offsetIndex.ensureLoaded();
    return this.use(async (fd) => {
      // One read from the index entry before the offset covers the scan to the first batch (at most
      // about an index interval) plus what the response can hold; when it does not (a sparse
      // index, huge batches), prefetch() reads the response's bytes from the first batch in one go.
      // Either way the bytes are read once, into a buffer of the request's lease, and copied once
      // more only into the response frame.
      const chunkBytes = Math.min(Math.max(this.indexIntervalBytes * 2, 64 * 1024) + Math.min(maxBytes, maxPosition), MAX_READ_CHUNK);
      const { scanner, first } = await this.findFrom(fd, offset, maxPosition, request.offsetLimit, chunkBytes, true, request.alloc);
      if (!first) return { bytes: EMPTY, endPosition: scanner.position, exhausted: true };
      if (first.lastOffset >= visibleEnd) return { bytes: EMPTY, endPosition: first.position, exhausted: false };
      if (first.size > maxBytes) {
        if (!minOneBatch) return { bytes: EMPTY, endPosition: first.position, exhausted: false };
        // Served alone, but only if the batch after it continues its offsets (see below).
        await scanner.batches.next().catch((e: unknown) => {
          if (!(e instanceof CorruptBatchError) || e.previousBatch === null) return null;
          throw e;
        });
        return { bytes: await scanner.batches.range(first.position, first.end), endPosition: first.end, exhausted: false };
      }
      await scanner.batches.prefetch(first.position, Math.min(maxBytes, MAX_READ_CHUNK, maxPosition - first.position));
      let end = first.end;
      /** End of the batches before the last one in the read. */
      let beforeLast = first.position;
      // Index entries in the range witness the base offsets of the batches they point at (see scanFrom).
      const entries = await this.offsetIndex.entriesIn(first.end, Math.min(maxPosition, first.position + maxBytes));
      let entry = 0;
      let next = first.lastOffset + 1;
      try {
        for (;;) {
          let batch = scanner.batches.tryNext();
          if (batch === NEED_READ) batch = await scanner.batches.next();
          if (!batch || batch.end - first.position > maxBytes || batch.lastOffset >= visibleEnd) break;
          while (entry < entries.length && entries[entry]!.position < batch.position) entry++;
          const indexed = entries[entry];
          if (indexed?.position === batch.position && indexed.offset !== batch.header.baseOffset && batch.header.baseOffset !== next) {
            throw new CorruptBatchError(this.logPath, batch.position, `base offset ${batch.header.baseOffset} differs from the index entry (${indexed.offset})`);
          }
          next = batch.lastOffset + 1;
          beforeLast = end;
          end = batch.end;
        }
      } catch (e) {
        // Damage after the first batch: return the intact batches before it; the next read, which
        // starts at the damaged batch, reports it. When the damage is a broken offset chain, the
        // last batch read is as suspect as the one after it: a small rewrite of its base offset
        // (outside the CRC) used to be served at the wrong offsets (found by the storage fuzzer).
        if (!(e instanceof CorruptBatchError)) throw e;
        if (e.previousBatch !== null) {
          if (e.previousBatch === first.position) throw e;
          end = beforeLast;
        }
      }
      return { bytes: await scanner.batches.range(first.position, end), endPosition: end, exhausted: false };
    });
  }

  /** The first batch whose last offset is >= `offset`, or null when there is none. */
  async firstBatchFrom(offset: number): Promise<FileBatch | null> {
    await this.offsetIndex.ensureLoaded();
    return this.use(async (fd) => (await this.findFrom(fd, offset, this.written, undefined, 64 * 1024, false)).first);
  }

  /**
   * Scans to the first batch whose last offset is >= `offset`, from the index entry at or before
   * it. A scan that fails right at its index entry (the entry names no batch there, or another
   * one) steps back to the entry before it, down to the segment start: a damaged index never hides
   * intact data — it used to answer CORRUPT_MESSAGE for intact batches, which skip-corrupt could
   * not repair (found by the storage fuzzer) — while damaged data fails again where it is.
   */
  private async findFrom(fd: number, offset: number, end: number, offsetLimit: number | undefined, chunkBytes: number, verify: boolean, alloc?: Allocate): Promise<{ scanner: IndexedScan; first: FileBatch | null }> {
    let entry = await this.offsetIndex.lookupEntry(offset);
    for (;;) {
      const scanner = this.scanFrom(fd, entry, end, offsetLimit, chunkBytes, verify, alloc);
      try {
        return { scanner, first: await scanner.find(offset) };
      } catch (e) {
        if (!(e instanceof CorruptBatchError) || entry === null || e.position !== entry.position) throw e;
        entry = await this.offsetIndex.lookupEntry(entry.offset - 1);
      }
    }
  }

  /**
   * A scanner from an index entry (null: the segment start). Its find() checks every batch that
   * starts at an indexed position against the entry: the base offset lies outside the CRC, so a
   * batch that disagrees with its entry is trusted only when it continues the offsets before it
   * (then the entry is what was damaged); otherwise, and always at the entry the scan starts from
   * (nothing before it to compare with), it is corruption.
   */
  private scanFrom(fd: number, entry: IndexEntry | null, end: number, offsetLimit: number | undefined, chunkBytes: number, verify: boolean, alloc?: Allocate): IndexedScan {
    const batches = new BatchScanner(fd, {
      path: this.logPath,
      start: entry?.position ?? 0,
      end,
      maxBatchBytes: this.maxBatchBytes,
      minOffset: entry?.offset ?? this.baseOffset,
      ...(offsetLimit !== undefined ? { offsetLimit } : {}),
      chunkBytes,
      verify,
      ...(alloc ? { alloc } : {}),
    });
    const path = this.logPath;
    const base = this.baseOffset;
    const index = this.offsetIndex;
    return {
      batches,
      get position() {
        return batches.nextPosition;
      },
      async find(target: number): Promise<FileBatch | null> {
        let next = entry?.offset ?? base;
        for (;;) {
          const batch = await batches.next();
          if (!batch) return null;
          const offset = batch.header.baseOffset;
          const indexed = batch.position === entry?.position ? entry : await index.entryAt(batch.position);
          if (indexed && offset !== indexed.offset && (offset !== next || indexed === entry)) {
            throw new CorruptBatchError(path, batch.position, `base offset ${offset} differs from the index entry (${indexed.offset})`);
          }
          next = batch.lastOffset + 1;
          if (batch.lastOffset >= target) return batch;
        }
      },
    };
  }

  /** Calls `fn` with the header of every batch whose last offset is >= `offset`, in order. */
  async forEachHeaderFrom(offset: number, fn: (header: RecordBatchHeader) => void): Promise<void> {
    await this.offsetIndex.ensureLoaded();
    const entry = await this.offsetIndex.lookupEntry(offset);
    return this.use(async (fd) => {
      const options = { path: this.logPath, start: entry?.position ?? 0, end: this.writtenSize, maxBatchBytes: this.maxBatchBytes, minOffset: entry?.offset ?? this.baseOffset, chunkBytes: 4 * 1024 * 1024 };
      for await (const batch of batchesFrom(fd, options)) if (batch.lastOffset >= offset) fn(batch.header);
    });
  }

  /**
   * Offset of the first record with timestamp >= `timestamp`, scanning from the time index hint,
   * or null when every record is older. Decodes records of the one batch that straddles the
   * timestamp (ListOffsets only, never on the produce/fetch path).
   */
  async findOffsetByTimestamp(timestamp: number, decompress: (batch: Uint8Array) => Uint8Array | null): Promise<{ offset: number; timestamp: number } | null> {
    if (this.maxTs < timestamp) return null;
    await this.timeIndex.ensureLoaded();
    let next = await this.timeIndex.lookup(timestamp);
    for (;;) {
      const { bytes } = await this.read({ offset: next, maxBytes: 1024 * 1024, maxPosition: this.written, minOneBatch: true });
      if (bytes.length === 0) return null;
      for (const { header, bytes: batch } of iterateBatches(bytes, { validate: false })) {
        if (header.maxTimestamp >= timestamp) {
          const section = decompress(batch);
          if (section === null) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
          for (const r of decodeRecords(section, header)) {
            if (r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
          }
        }
        next = lastOffsetOf(header) + 1;
      }
    }
  }

  /**
   * True when a whole valid batch starts at `position`, or nothing follows it: a recovery
   * checkpoint's position must be a batch boundary of this very file.
   */
  async batchBoundaryAt(position: number): Promise<boolean> {
    return this.use(async (fd) => {
      const size = await fstatSize(fd);
      if (position >= size) return position === size;
      try {
        return (await new BatchScanner(fd, { path: this.logPath, start: position, end: size, maxBatchBytes: this.maxBatchBytes, verify: true }).next()) !== null;
      } catch (e) {
        if (e instanceof CorruptBatchError) return false;
        throw e;
      }
    });
  }

  /**
   * Validates every batch from `fromPosition` (whose first batch must start at `fromOffset` or
   * later), rebuilding index entries from there; with `truncate`, cuts the file at the first
   * invalid batch. Returns the offset after the last valid batch and why it stopped early, if it
   * did.
   */
  async recover(
    fromPosition: number,
    fromOffset: number,
    options: {
      offsetLimit?: number;
      truncate: boolean;
      /** Index entries known to be good (fsynced at a clean shutdown). */
      witnesses?: readonly IndexEntry[];
      /** The log end recorded at a clean shutdown. */
      expectedEnd?: number;
    },
  ): Promise<RecoveryResult> {
    const offsetLimit = options.offsetLimit ?? Number.MAX_SAFE_INTEGER;
    return this.use(async (fd) => {
      const fileSize = await fstatSize(fd);
      await this.offsetIndex.truncateToPosition(fromPosition);
      await this.timeIndex.truncateToOffset(fromOffset);
      if (fromPosition === 0) {
        this.offsetIndex.reset();
        this.timeIndex.reset();
        this.maxTs = -1;
        this.firstBatchTs = -1;
      }
      this.assigned = fromPosition;
      this.bytesSinceIndexEntry = fromPosition === 0 ? 0 : this.indexIntervalBytes;
      const minOffset = Math.max(fromOffset, this.baseOffset);
      const scanner = new BatchScanner(fd, { path: this.logPath, start: fromPosition, end: fileSize, maxBatchBytes: this.maxBatchBytes, minOffset, offsetLimit, verify: true, chunkBytes: 8 * 1024 * 1024 });
      let nextOffset = minOffset;
      let batches = 0;
      let invalid: CorruptBatchError | null = null;
      let previous: { position: number; baseOffset: number; nextOffset: number } | null = null;
      let stoppedAt: number | null = null;
      try {
        for (let batch = await scanner.next(); batch; batch = await scanner.next()) {
          // Index entries known to be good (fsynced by a clean shutdown) witness base offsets: a
          // batch disagreeing with one is kept only if it continues the offsets before it.
          // So does the log end recorded at a clean shutdown: a batch reaching past it is kept only
          // if it continues the offsets before it (a moved last batch used to move the log end).
          const witness = options.witnesses?.find((w) => w.position === batch.position);
          const pastEnd = options.expectedEnd !== undefined && batch.lastOffset >= options.expectedEnd;
          if (((witness && witness.offset !== batch.header.baseOffset) || pastEnd) && batch.header.baseOffset !== nextOffset) {
            stoppedAt = batch.position;
            throw new CorruptBatchError(this.logPath, batch.position, `base offset ${batch.header.baseOffset} disagrees with the index or the recorded log end and does not continue the offsets before it (${nextOffset})`);
          }
          this.track(batch.header.baseOffset, batch.size, batch.header.maxTimestamp);
          previous = { position: batch.position, baseOffset: batch.header.baseOffset, nextOffset };
          nextOffset = batch.lastOffset + 1;
          batches++;
        }
      } catch (e) {
        if (!(e instanceof CorruptBatchError)) throw e;
        invalid = e;
      }
      let position = stoppedAt ?? scanner.nextPosition;
      if (options.truncate && invalid !== null && invalid.previousBatch !== null && previous?.position === invalid.previousBatch) {
        // A broken offset chain: the batch before the break is as suspect as the one after it (a
        // rewritten base offset is outside the CRC); keeping it kept its records at wrong offsets
        // (found by the storage fuzzer). Cut it too.
        position = previous.position;
        nextOffset = previous.nextOffset;
        batches--;
        this.offsetIndex.truncateToPosition(position);
        this.timeIndex.truncateToOffset(previous.baseOffset);
        this.assigned = position;
        invalid = new CorruptBatchError(this.logPath, position, invalid.reason);
      }
      if (!options.truncate) {
        // Indexes cover the valid prefix; the file keeps everything (a closed segment's damage).
        this.assigned = this.written = this.synced = fileSize;
        return { nextOffset, truncatedBytes: 0, batches, invalid };
      }
      const truncatedBytes = fileSize - position;
      if (truncatedBytes > 0) await ftruncate(fd, position);
      this.assigned = this.written = position;
      this.synced = truncatedBytes > 0 ? 0 : position;
      return { nextOffset, truncatedBytes, batches, invalid };
    });
  }

  /**
   * Loads the state of a segment that needs no recovery (it lies below the recovery point): file
   * size, index sanity, and the max timestamp and next offset from the batches after the last
   * index entry. With `verifyTail` (the log's last segment), those batches' CRCs are checked too:
   * a clean-shutdown marker does not prove the tail was written whole. Throws CorruptIndexError or
   * CorruptBatchError.
   */
  async loadClean(offsetLimit = Number.MAX_SAFE_INTEGER, verifyTail = false): Promise<number> {
    return this.use(async (fd) => {
      const size = await fstatSize(fd);
      this.assigned = this.written = this.synced = size;
      await this.offsetIndex.ensureLoaded();
      await this.timeIndex.ensureLoaded();
      this.offsetIndex.checkAgainstLogSize(size === 0 ? 1 : size);
      const last = this.offsetIndex.lastEntry();
      this.maxTs = this.timeIndex.lastEntry()?.timestamp ?? -1;
      let nextOffset = this.baseOffset;
      const scan = { path: this.logPath, end: size, maxBatchBytes: this.maxBatchBytes, offsetLimit, verify: verifyTail };
      if (size > 0) {
        const first = await new BatchScanner(fd, { ...scan, start: 0, minOffset: this.baseOffset, verify: false }).next();
        this.firstBatchTs = first!.header.maxTimestamp;
      }
      const scanner = new BatchScanner(fd, { ...scan, start: last?.position ?? 0, minOffset: last?.offset ?? this.baseOffset });
      for (let batch = await scanner.next(); batch; batch = await scanner.next()) {
        if (last && batch.position === last.position && batch.header.baseOffset !== last.offset) {
          throw new CorruptBatchError(this.logPath, batch.position, `base offset ${batch.header.baseOffset} differs from the index entry (${last.offset})`);
        }
        if (batch.header.maxTimestamp > this.maxTs) this.maxTs = batch.header.maxTimestamp;
        nextOffset = batch.lastOffset + 1;
      }
      this.bytesSinceIndexEntry = size - (last?.position ?? 0);
      return nextOffset;
    });
  }

  /**
   * Before recovering from the middle (`position`, a checkpointed batch boundary), restores what
   * recover() needs about the part before it from the (checkpointed, hence fsynced) indexes.
   */
  async restoreBefore(position: number): Promise<void> {
    await this.offsetIndex.ensureLoaded();
    await this.timeIndex.ensureLoaded();
    await this.offsetIndex.truncateToPosition(position);
    this.maxTs = this.timeIndex.lastEntry()?.timestamp ?? -1;
    const head = await this.use((fd) => readAt(fd, BATCH_HEADER_SIZE, 0));
    this.firstBatchTs = -1;
    try {
      if (head.length === BATCH_HEADER_SIZE) this.firstBatchTs = readBatchHeader(head).maxTimestamp;
    } catch (e) {
      // A damaged first batch used to stop start-up here (found by the storage fuzzer). It only
      // times segment.ms; the damage itself is reported by the reads that meet it.
      if (!(e instanceof StrataProtocolError)) throw e;
    }
  }

  /**
   * The offset that follows the batches ending exactly at `position` (a recovery checkpoint's byte
   * position), walking (CRCs checked) from the last index entry before it; null when the walk does
   * not land on `position` or the batch at the entry does not have the entry's offset. Call after
   * restoreBefore(position), which leaves only the index entries before it.
   */
  async offsetAt(position: number): Promise<number | null> {
    const entry = this.offsetIndex.lastEntry();
    return this.use(async (fd) => {
      const from = entry?.offset ?? this.baseOffset;
      const scanner = new BatchScanner(fd, { path: this.logPath, start: entry?.position ?? 0, end: position, maxBatchBytes: this.maxBatchBytes, minOffset: from, verify: true });
      let next = from;
      try {
        for (let batch = await scanner.next(); batch; batch = await scanner.next()) {
          if (entry && batch.position === entry.position && batch.header.baseOffset !== entry.offset) return null;
          next = batch.lastOffset + 1;
          // restoreBefore took the max timestamp from the time index, whose last entry may be older
          // than these batches: ListOffsets by time then skipped them (found by the storage fuzzer).
          if (batch.header.maxTimestamp > this.maxTs) this.maxTs = batch.header.maxTimestamp;
        }
      } catch (e) {
        if (e instanceof CorruptBatchError) return null;
        throw e;
      }
      return next;
    });
  }

  /**
   * Truncates to `position` bytes (the first batch at or past an offset) and fsyncs, so a crash
   * cannot bring the cut batches back (recovery would accept them as valid); indexes follow.
   */
  async truncateTo(position: number, offset: number): Promise<void> {
    return this.use(async (fd) => {
      await ftruncate(fd, position);
      await fdatasync(fd);
      this.assigned = this.written = position;
      this.synced = Math.min(this.synced, position);
      await this.offsetIndex.truncateToPosition(position);
      await this.timeIndex.truncateToOffset(offset);
    });
  }

  async close(): Promise<void> {
    await this.offsetIndex.close();
    await this.timeIndex.close();
    if (this.opening) await this.opening.catch(() => undefined);
    this.pool?.remove(this);
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      await closeFile(fd);
    }
  }

  /**
   * The segment leaves its log: its files are renamed `*.deleted` (start-up removes them if the
   * broker stops first). Reads through the open descriptor keep working until removeDeleted().
   */
  async markDeleted(): Promise<void> {
    this.removed = true;
    this.pool?.remove(this);
    await Promise.all([this.offsetIndex.abandon(), this.timeIndex.abandon()]);
    await Promise.all(this.paths().map((p) => renameIfExists(p, `${p}.deleted`)));
  }

  /** Closes the descriptor and removes the files markDeleted() renamed. */
  async removeDeleted(): Promise<void> {
    await this.close();
    for (const p of this.paths()) await fs.promises.rm(`${p}.deleted`, { force: true });
  }

  private paths(): string[] {
    return [this.logPath, this.offsetIndex.path, this.timeIndex.path];
  }

  async deleteFiles(): Promise<void> {
    await this.close();
    await this.offsetIndex.deleteFile();
    await this.timeIndex.deleteFile();
    await fs.promises.rm(this.logPath, { force: true });
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await fs.promises.rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
