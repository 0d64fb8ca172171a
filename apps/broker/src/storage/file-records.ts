/**
 * FileRecords: the one walk over the record batches stored in a segment file (Kafka's
 * FileRecords.batchesFrom). Reads, recovery, index rebuilds, producer-state replay, the cleaner
 * and offline verification all step through batches with a BatchScanner; nothing else parses
 * batch lengths out of a file.
 *
 * A scanner reads the file in chunks and steps from batch to batch by the batch length, checking
 * on every step what it can without the CRC:
 * - a whole header remains before `end` and the batch lies entirely before `end` (else the file
 *   is torn: it ends inside a batch);
 * - magic 2, a batch length from the header size to `maxBatchBytes`, non-negative counts;
 * - offsets continue: the first batch starts at or after `minOffset`, each batch starts after the
 *   last offset of the one before, and no offset reaches `offsetLimit` (the next segment's base or
 *   the log end). A rewritten base offset (the CRC does not cover it) breaks this chain.
 * With `verify`, each batch's CRC-32C is checked as well (recovery, verification; not fetches).
 * Every violation throws CorruptBatchError naming the file, the position and the reason: a walk
 * never loops and never returns a partial batch.
 *
 * Batch bytes returned by `bytes()` are views into the scanner's chunk when the batch lies in it:
 * valid until the next call to `next()`; copy them to keep them. Not thread-safe.
 */
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchField,
  RECORD_BATCH_MAGIC,
  batchSize,
  lastOffsetOf,
  readBatchHeader,
  validateBatch,
  type RecordBatchHeader,
} from '@strata/protocol';
import { readAt, type Allocate } from '../util/fs-io';

/** A batch found on disk that cannot be right: torn, malformed, out of sequence or failing its CRC. */
export class CorruptBatchError extends Error {
  constructor(
    readonly path: string,
    readonly position: number,
    readonly reason: string,
    /** True when the file simply ends inside a batch (a torn write), not damaged in the middle. */
    readonly torn = false,
    /**
     * Set when this batch's offsets do not follow those of the batch before it in the same walk
     * and that batch, too, left a gap after its own predecessor: its position. Base offsets lie
     * outside the CRC, so either batch may be the damaged one (a base offset moved up leaves a gap
     * before its batch; one moved down does not); neither may be served or kept at the offsets it
     * claims.
     */
    readonly previousBatch: number | null = null,
  ) {
    super(`corrupt record batch in ${path} at position ${position}: ${reason}`);
    this.name = 'CorruptBatchError';
  }
}

export interface FileBatch {
  header: RecordBatchHeader;
  /** File position of the batch's first byte. */
  position: number;
  /** Bytes of the whole batch (header included). */
  size: number;
  /** File position just after the batch. */
  end: number;
  /** Offset of its last record. */
  lastOffset: number;
}

export interface ScanOptions {
  /** File path, for errors and logs. */
  path: string;
  /** Position of the first batch (a batch boundary). */
  start: number;
  /** Position the walk stops at (exclusive): the written size of the segment. */
  end: number;
  /** Largest believable batch (the frame limit). */
  maxBatchBytes: number;
  /** The first batch may not start below this offset (the segment's base, or an index entry). */
  minOffset?: number;
  /** No offset in the walk may reach this (the next segment's base offset or the log end). */
  offsetLimit?: number;
  /** Check each batch's CRC-32C too. */
  verify?: boolean;
  /** Bytes read at a time. Default 64 KiB. */
  chunkBytes?: number;
  /** Where read buffers come from (a request's pooled lease); default Buffer.allocUnsafe. */
  alloc?: Allocate;
}

const DEFAULT_CHUNK = 64 * 1024;
const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD;

/** The result of `tryNext()` when the next header is not in the current chunk. */
export const NEED_READ: unique symbol = Symbol('need-read');

export class BatchScanner {
  private chunk: Buffer = Buffer.alloc(0);
  /** File position of chunk[0]. */
  private chunkStart: number;
  /** File position of the next batch. */
  private position: number;
  private lastOffset: number;
  /** Position of the last batch returned, -1 before the first. */
  private previousPosition = -1;
  /** True when the last batch returned started right after the offsets before it. */
  private previousContiguous = true;
  private readonly end: number;
  private readonly offsetLimit: number;
  private readonly chunkBytes: number;
  /** Bytes the next step needs in the chunk from `position` (set with NEED_READ). */
  private need = BATCH_HEADER_SIZE;

  constructor(
    private readonly fd: number,
    private readonly options: ScanOptions,
  ) {
    this.position = this.chunkStart = options.start;
    this.end = options.end;
    this.lastOffset = (options.minOffset ?? 0) - 1;
    this.offsetLimit = options.offsetLimit ?? Number.MAX_SAFE_INTEGER;
    this.chunkBytes = Math.max(options.chunkBytes ?? DEFAULT_CHUNK, BATCH_HEADER_SIZE);
  }

  /** File position of the next batch (just after the last one returned). */
  get nextPosition(): number {
    return this.position;
  }

  /** The next batch, or null at `end`. Throws CorruptBatchError. */
  async next(): Promise<FileBatch | null> {
    for (;;) {
      const step = this.tryNext();
      if (step !== NEED_READ) return step;
      await this.fill(this.position, this.need);
    }
  }

  /**
   * The next batch when what it needs is already in memory (its header; with `verify`, the whole
   * batch), null at `end`, NEED_READ when the chunk must be refilled first (call next()). Lets hot
   * loops step through a chunk without a promise per batch.
   */
  tryNext(): FileBatch | null | typeof NEED_READ {
    const position = this.position;
    if (position >= this.end) return null;
    if (this.end - position < BATCH_HEADER_SIZE) {
      throw this.corrupt(position, `the file ends ${this.end - position} bytes into a batch header`, true);
    }
    const at = position - this.chunkStart;
    if (at < 0 || at + BATCH_HEADER_SIZE > this.chunk.length) {
      this.need = BATCH_HEADER_SIZE;
      return NEED_READ;
    }
    const header = this.header(at, position);
    const size = batchSize(header);
    if (this.options.verify) {
      if (at + size > this.chunk.length) {
        this.need = size;
        return NEED_READ;
      }
      try {
        validateBatch(this.chunk, at, at + size, this.options.maxBatchBytes);
      } catch (e) {
        throw this.corrupt(position, (e as Error).message);
      }
    }
    const batch: FileBatch = { header, position, size, end: position + size, lastOffset: lastOffsetOf(header) };
    this.previousContiguous = header.baseOffset === this.lastOffset + 1;
    this.position = batch.end;
    this.lastOffset = batch.lastOffset;
    this.previousPosition = position;
    return batch;
  }

  /** The bytes of `batch` (a view into the chunk when it lies there). Throws CorruptBatchError. */
  async bytes(batch: FileBatch): Promise<Buffer> {
    return this.range(batch.position, batch.end);
  }

  /** Bytes [from, to) of the file, which the walk has already stepped over. */
  async range(from: number, to: number): Promise<Buffer> {
    const at = from - this.chunkStart;
    if (at >= 0 && to - this.chunkStart <= this.chunk.length) return this.chunk.subarray(at, to - this.chunkStart);
    const bytes = await readAt(this.fd, to - from, from, this.options.alloc);
    if (bytes.length !== to - from) throw this.corrupt(from + bytes.length, `the file ends inside a batch (${to - from - bytes.length} bytes missing)`, true);
    return bytes;
  }

  /**
   * Makes sure [from, from + length) is in memory (`from` at or before nextPosition, e.g. the
   * first batch of a read), reading it in one go when it is not: a reader that knows how far it
   * will walk (a fetch of maxBytes) reads its bytes once, instead of chunk by chunk and then once
   * more as one range.
   */
  async prefetch(from: number, length: number): Promise<void> {
    const want = Math.min(length, this.end - from);
    if (want <= 0 || from > this.position) return;
    const at = from - this.chunkStart;
    if (at >= 0 && at + want <= this.chunk.length) return;
    await this.fill(from, want, want);
  }

  /** Reads at least `want` bytes from `position` into the chunk (more, up to chunkBytes or `upTo`). */
  private async fill(position: number, want: number, upTo = this.chunkBytes): Promise<void> {
    const length = Math.min(Math.max(upTo, want), this.end - position);
    const bytes = await readAt(this.fd, length, position, this.options.alloc);
    if (bytes.length < Math.min(want, length)) {
      throw this.corrupt(position + bytes.length, `the file is shorter than its recorded size (${this.end} bytes)`, true);
    }
    this.chunk = bytes;
    this.chunkStart = position;
  }

  /** Header checks that need no CRC: format, sizes and offsets continuing. */
  private header(at: number, position: number): RecordBatchHeader {
    const chunk = this.chunk;
    const magic = chunk.readInt8(at + BatchField.MAGIC);
    if (magic !== RECORD_BATCH_MAGIC) throw this.corrupt(position, `unknown batch magic ${magic}`);
    const length = chunk.readInt32BE(at + BatchField.BATCH_LENGTH);
    if (length < MIN_BATCH_LENGTH) throw this.corrupt(position, `batch length ${length} is below the header size`);
    const size = length + BATCH_LOG_OVERHEAD;
    if (size > this.options.maxBatchBytes) throw this.corrupt(position, `batch of ${size} bytes is larger than any batch the broker accepts (${this.options.maxBatchBytes})`);
    if (position + size > this.end) throw this.corrupt(position, `batch of ${size} bytes runs past the end of the data (${this.end - position} bytes)`, true);
    let header: RecordBatchHeader;
    try {
      header = readBatchHeader(chunk, at);
    } catch (e) {
      throw this.corrupt(position, (e as Error).message);
    }
    if (header.recordCount > 0 && header.lastOffsetDelta < header.recordCount - 1) {
      throw this.corrupt(position, `record count ${header.recordCount} exceeds last offset delta ${header.lastOffsetDelta} + 1`);
    }
    if (header.baseOffset <= this.lastOffset) {
      throw this.corrupt(position, `base offset ${header.baseOffset} does not follow the previous batch (last offset ${this.lastOffset})`, false, this.previousPosition >= 0 && !this.previousContiguous ? this.previousPosition : null);
    }
    if (lastOffsetOf(header) >= this.offsetLimit) {
      throw this.corrupt(position, `offsets ${header.baseOffset}..${lastOffsetOf(header)} reach past ${this.offsetLimit - 1}, the last offset this segment may hold`);
    }
    return header;
  }

  private corrupt(position: number, reason: string, torn = false, previousBatch: number | null = null): CorruptBatchError {
    return new CorruptBatchError(this.options.path, position, reason, torn, previousBatch);
  }
}

/** Walks every batch of `[start, end)`; `verify` checks CRCs too. Throws CorruptBatchError. */
export async function* batchesFrom(fd: number, options: ScanOptions): AsyncGenerator<FileBatch> {
  const scanner = new BatchScanner(fd, options);
  for (;;) {
    const batch = await scanner.next();
    if (!batch) return;
    yield batch;
  }
}
