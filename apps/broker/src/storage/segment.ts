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
import { BATCH_HEADER_SIZE, BatchField, batchSize, decodeRecords, readBatchHeader, validateBatch, type RecordBatchHeader } from '@strata/protocol';
import { closeFile, fdatasync, fstatSize, ftruncate, openFile, readAt, writevAll, writevAllSync } from '../util/fs-io';
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

/** Result of recovering a segment: what was valid, and how much was cut. */
export interface RecoveryResult {
  nextOffset: number;
  truncatedBytes: number;
  batches: number;
}

export class LogSegment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly logPath: string;
  size: number;
  writtenSize: number;
  syncedSize: number;
  /** Largest record timestamp in the segment, -1 when empty. */
  maxTimestamp = -1;
  /** maxTimestamp of the first batch: segment.ms counts from it. -1 when empty. */
  firstBatchTimestamp = -1;
  /** True once the segment left its log (retention or a cleaner swap). */
  deleted = false;
  private bytesSinceIndexEntry = 0;
  private fd: number | null = null;
  private opening: Promise<number> | null = null;

  readonly dir: string;
  readonly baseOffset: number;
  /** True for the log's active segment: its indexes grow and stay in memory. */
  writable: boolean;
  private readonly indexIntervalBytes: number;
  private readonly pool: FilePool | null;
  private users = 0;

  constructor(options: SegmentOptions) {
    const { dir, baseOffset, fresh } = options;
    const suffix = options.fileSuffix ?? '';
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.pool = options.pool ?? null;
    this.writable = fresh;
    this.logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX) + suffix);
    this.offsetIndex = new OffsetIndex(join(dir, segmentFileName(baseOffset, INDEX_SUFFIX) + suffix), baseOffset, fresh);
    this.timeIndex = new TimeIndex(join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX) + suffix), baseOffset, fresh);
    this.size = this.writtenSize = this.syncedSize = options.size ?? 0;
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
    const position = this.size;
    if (this.firstBatchTimestamp < 0) this.firstBatchTimestamp = maxTimestamp;
    const newMax = maxTimestamp > this.maxTimestamp ? maxTimestamp : this.maxTimestamp;
    if (this.bytesSinceIndexEntry >= this.indexIntervalBytes || position === 0) {
      this.offsetIndex.append(baseOffset, position);
      // Every record up to and including this batch has a timestamp <= newMax.
      this.timeIndex.append(newMax, baseOffset);
      this.bytesSinceIndexEntry = 0;
    }
    this.maxTimestamp = newMax;
    this.bytesSinceIndexEntry += bytes;
    this.size += bytes;
    return position;
  }

  /** Writes buffers at `position` (which must equal writtenSize). */
  async write(buffers: Uint8Array[], position: number, bytes: number): Promise<void> {
    return this.use(async (fd) => {
      await writevAll(fd, buffers, position);
      this.writtenSize = position + bytes;
    });
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
    this.writtenSize = position + bytes;
    return true;
  }

  /** fsyncs the log file (and flushes the indexes' pending entries, without fsyncing them). */
  async sync(): Promise<void> {
    const target = this.writtenSize;
    if (this.syncedSize >= target) return;
    return this.use(async (fd) => {
      await fdatasync(fd);
      if (target > this.syncedSize) this.syncedSize = target;
    });
  }

  /** fsyncs log and both indexes: what a recovery checkpoint needs. */
  async syncAll(): Promise<void> {
    await this.sync();
    await this.offsetIndex.sync();
    await this.timeIndex.sync();
  }

  /**
   * Reads whole batches starting with the one that contains `offset` (or the first after it),
   * at most `maxBytes` unless the first batch alone is larger and `minOneBatch` is set. Never
   * reads at or past `maxPosition`.
   */
  async read(offset: number, maxBytes: number, maxPosition: number, minOneBatch: boolean): Promise<SegmentReadResult> {
    await this.offsetIndex.ensureLoaded();
    return this.use(async (fd) => {
      let position = this.offsetIndex.lookup(offset);
      // Find the first batch whose last offset is >= offset, scanning headers from the index hint.
      const scanChunk = Math.max(this.indexIntervalBytes * 2, 64 * 1024);
      for (;;) {
        if (position + BATCH_HEADER_SIZE > maxPosition) return { bytes: new Uint8Array(0), endPosition: position, exhausted: true };
        const want = Math.min(maxPosition - position, Math.max(scanChunk, maxBytes));
        const chunk = await readAt(fd, want, position);
        let p = 0;
        let found = -1;
        while (p + BATCH_HEADER_SIZE <= chunk.length) {
          const size = chunk.readInt32BE(p + BatchField.BATCH_LENGTH) + 12;
          const base = readSafeInt64(chunk, p);
          const last = base + chunk.readInt32BE(p + BatchField.LAST_OFFSET_DELTA);
          if (size < BATCH_HEADER_SIZE) throw new Error(`corrupt batch length at ${this.logPath}:${position + p}`);
          if (last >= offset) {
            found = p;
            break;
          }
          p += size;
        }
        if (found < 0) {
          if (p === 0) throw new Error(`cannot read batch header at ${this.logPath}:${position}`);
          position += p;
          continue;
        }
        return this.collect(fd, chunk, found, position, maxBytes, maxPosition, minOneBatch);
      }
    });
  }

  /** From a chunk read at `chunkPos` whose batch at `start` is the first wanted, gathers whole batches. */
  private async collect(
    fd: number,
    chunk: Buffer,
    start: number,
    chunkPos: number,
    maxBytes: number,
    maxPosition: number,
    minOneBatch: boolean,
  ): Promise<SegmentReadResult> {
    const first = chunk.readInt32BE(start + BatchField.BATCH_LENGTH) + 12;
    if (first > maxBytes) {
      if (!minOneBatch) return { bytes: new Uint8Array(0), endPosition: chunkPos + start, exhausted: false };
      const bytes = start + first <= chunk.length ? chunk.subarray(start, start + first) : await readAt(fd, first, chunkPos + start);
      return { bytes, endPosition: chunkPos + start + bytes.length, exhausted: false };
    }
    let end = start;
    while (end + 12 <= chunk.length) {
      const size = chunk.readInt32BE(end + BatchField.BATCH_LENGTH) + 12;
      if (end + size > chunk.length || end + size - start > maxBytes) break;
      end += size;
    }
    if (end === start) {
      // The first batch did not fit in the chunk: read it (and what follows, up to maxBytes).
      const limit = Math.min(maxBytes, maxPosition - (chunkPos + start));
      const more = await readAt(fd, limit, chunkPos + start);
      return this.collect(fd, more, 0, chunkPos + start, maxBytes, maxPosition, minOneBatch);
    }
    return { bytes: chunk.subarray(start, end), endPosition: chunkPos + end, exhausted: false };
  }

  /** Calls `fn` with the header of every batch whose last offset is >= `offset`, in order. */
  async forEachHeaderFrom(offset: number, fn: (header: RecordBatchHeader) => void): Promise<void> {
    await this.offsetIndex.ensureLoaded();
    return this.use(async (fd) => {
      let position = this.offsetIndex.lookup(offset);
      const end = this.writtenSize;
      while (position < end) {
        const chunk = await readAt(fd, Math.min(4 * 1024 * 1024, end - position), position);
        let p = 0;
        while (p + BATCH_HEADER_SIZE <= chunk.length) {
          const header = readBatchHeader(chunk, p);
          const size = batchSize(header);
          if (p > 0 && p + size > chunk.length) break; // read it again at the start of the next chunk
          if (header.baseOffset + header.lastOffsetDelta >= offset) fn(header);
          p += size; // may pass the chunk's end for one batch larger than the chunk: skip past it
        }
        if (p === 0) return; // fewer bytes than a header left: nothing more to read
        position += p;
      }
    });
  }

  /**
   * Offset of the first record with timestamp >= `timestamp`, scanning from the time index hint,
   * or null when every record is older. Decodes records of the one batch that straddles the
   * timestamp (ListOffsets only, never on the produce/fetch path).
   */
  async findOffsetByTimestamp(timestamp: number, decompress: (batch: Uint8Array) => Uint8Array | null): Promise<{ offset: number; timestamp: number } | null> {
    if (this.maxTimestamp < timestamp) return null;
    await this.timeIndex.ensureLoaded();
    const startOffset = this.timeIndex.lookup(timestamp);
    let next = startOffset;
    for (;;) {
      const { bytes } = await this.read(next, 1024 * 1024, this.writtenSize, true);
      if (bytes.length === 0) return null;
      let p = 0;
      while (p + BATCH_HEADER_SIZE <= bytes.length) {
        const header = readBatchHeader(bytes, p);
        const size = batchSize(header);
        if (p + size > bytes.length) break;
        if (header.maxTimestamp >= timestamp) {
          const section = decompress(bytes.subarray(p, p + size));
          if (section === null) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
          for (const r of decodeRecords(section, header)) {
            if (r.timestamp >= timestamp) return { offset: r.offset, timestamp: r.timestamp };
          }
        }
        next = header.baseOffset + header.lastOffsetDelta + 1;
        p += size;
      }
    }
  }

  /**
   * True when a whole valid batch starts at `position`, or nothing follows it: a recovery
   * checkpoint's position must be a batch boundary of this very file.
   */
  async batchBoundaryAt(position: number, maxBatchBytes: number): Promise<boolean> {
    return this.use(async (fd) => {
      const size = await fstatSize(fd);
      if (position >= size) return position === size;
      const head = await readAt(fd, Math.min(BATCH_HEADER_SIZE, size - position), position);
      if (head.length < BATCH_HEADER_SIZE) return false;
      const length = head.readInt32BE(BatchField.BATCH_LENGTH) + 12;
      if (length < BATCH_HEADER_SIZE || length > maxBatchBytes || position + length > size) return false;
      const whole = await readAt(fd, length, position);
      try {
        validateBatch(whole, 0, length, maxBatchBytes);
        return true;
      } catch {
        return false;
      }
    });
  }

  /**
   * Validates every batch from `fromPosition` (whose first batch must start at `fromOffset` or
   * later), rebuilding index entries from there, and truncates the file at the first invalid
   * batch. Returns the offset after the last valid batch. `maxBatchBytes` bounds a believable
   * batch length (the frame limit: no batch can be larger than the frame that carried it).
   */
  async recover(fromPosition: number, fromOffset: number, maxBatchBytes: number): Promise<RecoveryResult> {
    return this.use(async (fd) => {
      const fileSize = await fstatSize(fd);
      this.offsetIndex.truncateToPosition(fromPosition);
      this.timeIndex.truncateToOffset(fromOffset);
      if (fromPosition === 0) {
        this.offsetIndex.reset();
        this.timeIndex.reset();
        this.maxTimestamp = -1;
        this.firstBatchTimestamp = -1;
      }
      this.size = fromPosition;
      this.bytesSinceIndexEntry = fromPosition === 0 ? 0 : this.indexIntervalBytes;
      let nextOffset = fromOffset;
      let position = fromPosition;
      let batches = 0;
      const chunkSize = 8 * 1024 * 1024;
      // `position` always points just after the last accepted batch.
      outer: while (position < fileSize) {
        const chunkStart = position;
        const chunk = await readAt(fd, Math.min(chunkSize, fileSize - position), position);
        let p = 0;
        while (p < chunk.length) {
          if (chunk.length - p < BATCH_HEADER_SIZE) {
            if (position + BATCH_HEADER_SIZE > fileSize) break outer; // torn tail
            continue outer; // header straddles the chunk: read on from `position`
          }
          const size = chunk.readInt32BE(p + BatchField.BATCH_LENGTH) + 12;
          if (size < BATCH_HEADER_SIZE || size > maxBatchBytes) break outer;
          if (position + size > fileSize) break outer; // torn tail
          if (p + size > chunk.length) {
            if (p > 0) continue outer; // batch straddles the chunk: read on from `position`
            // A batch larger than the chunk: read it whole.
            const whole = await readAt(fd, size, position);
            if (!this.acceptRecovered(whole, 0, size, nextOffset, maxBatchBytes)) break outer;
          } else if (!this.acceptRecovered(chunk, p, size, nextOffset, maxBatchBytes)) break outer;
          nextOffset = this.lastAccepted;
          p += size;
          position = chunkStart + p;
          batches++;
        }
      }
      const truncatedBytes = fileSize - position;
      if (truncatedBytes > 0) await ftruncate(fd, position);
      this.size = position;
      this.writtenSize = position;
      this.syncedSize = truncatedBytes > 0 ? 0 : position;
      return { nextOffset, truncatedBytes, batches };
    });
  }

  private lastAccepted = 0;

  private acceptRecovered(buf: Buffer, p: number, size: number, expectedOffset: number, maxBatchBytes: number): boolean {
    let header;
    try {
      header = validateBatch(buf, p, p + size, maxBatchBytes);
    } catch {
      return false;
    }
    if (header.baseOffset < expectedOffset || header.baseOffset < this.baseOffset) return false;
    this.track(header.baseOffset, size, header.maxTimestamp);
    this.lastAccepted = header.baseOffset + header.lastOffsetDelta + 1;
    return true;
  }

  /**
   * Loads the state of a segment that needs no recovery (it lies below the recovery point): file
   * size, index sanity, and the max timestamp from the time index and the last batches.
   */
  async loadClean(): Promise<number> {
    return this.use(async (fd) => {
      const size = await fstatSize(fd);
      this.size = this.writtenSize = this.syncedSize = size;
      await this.offsetIndex.ensureLoaded();
      await this.timeIndex.ensureLoaded();
      this.offsetIndex.checkAgainstLogSize(size === 0 ? 1 : size);
      // Walk the batches after the last index entry to find the next offset and max timestamp.
      const last = this.offsetIndex.lastEntry();
      let position = last?.position ?? 0;
      let nextOffset = this.baseOffset;
      this.maxTimestamp = this.timeIndex.lastEntry()?.timestamp ?? -1;
      if (size > 0) {
        const first = await readAt(fd, BATCH_HEADER_SIZE, 0);
        this.firstBatchTimestamp = readBatchHeader(first).maxTimestamp;
      }
      while (position < size) {
        const head = await readAt(fd, Math.min(BATCH_HEADER_SIZE, size - position), position);
        const header = readBatchHeader(head);
        if (header.maxTimestamp > this.maxTimestamp) this.maxTimestamp = header.maxTimestamp;
        nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
        position += batchSize(header);
      }
      this.bytesSinceIndexEntry = size - (last?.position ?? 0);
      return nextOffset;
    });
  }

  /** Truncates to `position` bytes (the first batch at or past an offset); indexes follow. */
  async truncateTo(position: number, offset: number): Promise<void> {
    return this.use(async (fd) => {
      await ftruncate(fd, position);
      this.size = this.writtenSize = position;
      this.syncedSize = Math.min(this.syncedSize, position);
      this.offsetIndex.truncateToPosition(position);
      this.timeIndex.truncateToOffset(offset);
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
   * Renames the segment's files to `*.deleted` now (so start-up removes them if the broker stops
   * first) and closes and removes them after `delayMs`; reads through the open descriptor keep
   * working meanwhile.
   */
  scheduleDeletion(delayMs: number): Promise<void> {
    this.deleted = true;
    this.pool?.remove(this);
    const paths = [this.logPath, this.offsetIndex.path, this.timeIndex.path];
    const renamed = Promise.all([this.offsetIndex.abandon(), this.timeIndex.abandon()])
      .then(() => Promise.all(paths.map((p) => fs.promises.rename(p, `${p}.deleted`).catch(() => undefined))))
      .then(() => undefined);
    const timer = setTimeout(() => {
      void renamed.then(async () => {
        await this.close().catch(() => undefined);
        for (const p of paths) await fs.promises.rm(`${p}.deleted`, { force: true });
      });
    }, delayMs);
    timer.unref();
    return renamed;
  }

  async deleteFiles(): Promise<void> {
    await this.close();
    await this.offsetIndex.deleteFile();
    await this.timeIndex.deleteFile();
    await fs.promises.rm(this.logPath, { force: true });
  }
}

function readSafeInt64(buf: Buffer, p: number): number {
  return buf.readInt32BE(p) * 4294967296 + buf.readUInt32BE(p + 4);
}
