/**
 * The producer's side of the record-batch codec: RecordBatchBuilder encodes records straight into
 * one growing buffer and finishes the header and CRC-32C. The format itself (layout, reading,
 * validation) is in record-batch.ts.
 */
import { dataView, utf8Length, uvarintSize, varlongSize, writeInt64, writeUVarint, writeUtf8, writeVarlong } from './bytes';
import { crc32c } from './crc32c';
import { ERRORS, StrataProtocolError } from './errors';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, BatchAttribute, BatchField, CompressionCodec, BATCH_CRC_START, type CompressionCodecId, RECORD_BATCH_MAGIC } from './record-batch';

/** What a producer puts in a record. Strings are encoded as UTF-8. */
export interface RecordInput {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: ReadonlyArray<{ key: string; value: Uint8Array | string | null }> | null;
  /** Milliseconds since the epoch; defaults to the time of append. */
  timestamp?: number;
}

export interface RecordBatchOptions {
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  transactional?: boolean;
  /** Initial buffer size in bytes; the buffer grows as needed. */
  initialCapacity?: number;
}

function fieldSize(v: Uint8Array | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? utf8Length(v) : v.length;
}

/**
 * Builds one record batch by encoding records straight into a growing buffer (one allocation per
 * doubling, no per-record objects). Not reusable after build().
 */
export class RecordBatchBuilder {
  private buf: Uint8Array;
  private pos = BATCH_HEADER_SIZE;
  private count = 0;
  private lastDelta = -1;
  private firstTimestamp = 0;
  private maxTimestamp = -1;
  private readonly options: Required<Omit<RecordBatchOptions, 'initialCapacity'>>;

  constructor(options: RecordBatchOptions = {}) {
    this.buf = new Uint8Array(Math.max(BATCH_HEADER_SIZE + 64, options.initialCapacity ?? 16384));
    this.options = {
      producerId: options.producerId ?? -1,
      producerEpoch: options.producerEpoch ?? -1,
      baseSequence: options.baseSequence ?? -1,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
      transactional: options.transactional ?? false,
    };
  }

  get recordCount(): number {
    return this.count;
  }

  /** Size of the batch built so far, header included, uncompressed. */
  get sizeInBytes(): number {
    return this.pos;
  }

  /** Upper bound of the bytes `record` adds to the batch (exact for the varint widths used). */
  static estimateRecordSize(record: RecordInput): number {
    let headersSize = 0;
    if (record.headers) {
      for (const h of record.headers) {
        const k = utf8Length(h.key);
        const v = fieldSize(h.value);
        headersSize += uvarintSize(k) + k + uvarintSize(h.value === null ? 0 : v + 1) + v;
      }
    }
    const k = fieldSize(record.key);
    const v = fieldSize(record.value);
    // length prefix (<= 5) + timestamp delta (<= 8) + offset delta (<= 5)
    return 18 + uvarintSize(k + 1) + k + uvarintSize(v + 1) + v + uvarintSize(record.headers?.length ?? 0) + headersSize;
  }

  /**
   * Appends a record; `now` is used when the record has no timestamp. `offsetDelta` (default: the
   * next one) lets a rewritten batch keep gaps between offsets, as the log cleaner does; deltas
   * must increase.
   */
  append(record: RecordInput, now: number = Date.now(), offsetDelta: number = this.lastDelta + 1): void {
    if (offsetDelta <= this.lastDelta) throw new StrataProtocolError(ERRORS.INVALID_RECORD, `offset delta ${offsetDelta} does not follow ${this.lastDelta}`);
    const timestamp = record.timestamp ?? now;
    if (this.count === 0) this.firstTimestamp = timestamp;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const tsDelta = timestamp - this.firstTimestamp;

    const key = record.key;
    const value = record.value;
    const keyLen = fieldSize(key);
    const valueLen = fieldSize(value);
    const headers = record.headers;
    const headerCount = headers ? headers.length : 0;
    let headerKeyLens: number[] | undefined;
    let headerValueLens: number[] | undefined;
    let headersSize = 0;
    if (headers && headerCount > 0) {
      headerKeyLens = new Array(headerCount);
      headerValueLens = new Array(headerCount);
      for (let i = 0; i < headerCount; i++) {
        const h = headers[i]!;
        const hk = utf8Length(h.key);
        const hv = fieldSize(h.value);
        headerKeyLens[i] = hk;
        headerValueLens[i] = hv;
        headersSize += uvarintSize(hk) + hk + uvarintSize(h.value === null || h.value === undefined ? 0 : hv + 1) + hv;
      }
    }
    const keyPrefix = key === null || key === undefined ? 0 : keyLen + 1;
    const valuePrefix = value === null || value === undefined ? 0 : valueLen + 1;
    const bodySize =
      varlongSize(tsDelta) +
      uvarintSize(offsetDelta) +
      uvarintSize(keyPrefix) +
      keyLen +
      uvarintSize(valuePrefix) +
      valueLen +
      uvarintSize(headerCount) +
      headersSize;
    this.ensure(uvarintSize(bodySize) + bodySize);

    const buf = this.buf;
    let p = writeUVarint(buf, this.pos, bodySize);
    p = writeVarlong(buf, p, tsDelta);
    p = writeUVarint(buf, p, offsetDelta);
    p = writeUVarint(buf, p, keyPrefix);
    p = writeField(buf, p, key, keyLen);
    p = writeUVarint(buf, p, valuePrefix);
    p = writeField(buf, p, value, valueLen);
    p = writeUVarint(buf, p, headerCount);
    if (headers && headerKeyLens && headerValueLens) {
      for (let i = 0; i < headerCount; i++) {
        const h = headers[i]!;
        p = writeUVarint(buf, p, headerKeyLens[i]!);
        p = writeUtf8(buf, p, h.key, headerKeyLens[i]!);
        const hv = h.value;
        p = writeUVarint(buf, p, hv === null || hv === undefined ? 0 : headerValueLens[i]! + 1);
        p = writeField(buf, p, hv, headerValueLens[i]!);
      }
    }
    this.pos = p;
    this.count++;
    this.lastDelta = offsetDelta;
  }

  /**
   * Sets the idempotent-producer fields written by build(): an accumulating producer learns the
   * batch's sequence only when the batch is sent, after its records were appended.
   */
  setProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.options.producerId = producerId;
    this.options.producerEpoch = producerEpoch;
    this.options.baseSequence = baseSequence;
  }

  /** The encoded records so far (a view), for compression. */
  recordsSection(): Uint8Array {
    return this.buf.subarray(BATCH_HEADER_SIZE, this.pos);
  }

  /** Finishes an uncompressed batch: fills the header and CRC. Returns a view of the batch. */
  build(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.writeHeader(out, CompressionCodec.None);
    return out;
  }

  /**
   * Finishes a compressed batch: `compressed` is recordsSection() compressed with `codec`.
   * Returns a new buffer with the header followed by `compressed`.
   */
  buildCompressed(compressed: Uint8Array, codec: CompressionCodecId): Uint8Array {
    const out = new Uint8Array(BATCH_HEADER_SIZE + compressed.length);
    out.set(compressed, BATCH_HEADER_SIZE);
    this.writeHeader(out, codec);
    return out;
  }

  private writeHeader(out: Uint8Array, codec: number): void {
    if (this.count === 0) throw new StrataProtocolError(ERRORS.INVALID_RECORD, 'a record batch needs at least one record');
    const view = dataView(out);
    const o = this.options;
    writeInt64(view, BatchField.BASE_OFFSET, 0);
    view.setInt32(BatchField.BATCH_LENGTH, out.length - BATCH_LOG_OVERHEAD);
    view.setInt32(BatchField.PARTITION_LEADER_EPOCH, o.partitionLeaderEpoch);
    view.setInt8(BatchField.MAGIC, RECORD_BATCH_MAGIC);
    view.setInt16(BatchField.ATTRIBUTES, (codec & BatchAttribute.COMPRESSION_MASK) | (o.transactional ? BatchAttribute.TRANSACTIONAL : 0));
    view.setInt32(BatchField.LAST_OFFSET_DELTA, this.lastDelta);
    writeInt64(view, BatchField.BASE_TIMESTAMP, this.firstTimestamp);
    writeInt64(view, BatchField.MAX_TIMESTAMP, this.maxTimestamp);
    writeInt64(view, BatchField.PRODUCER_ID, o.producerId);
    view.setInt16(BatchField.PRODUCER_EPOCH, o.producerEpoch);
    view.setInt32(BatchField.BASE_SEQUENCE, o.baseSequence);
    view.setInt32(BatchField.RECORD_COUNT, this.count);
    view.setUint32(BatchField.CRC, crc32c(out, BATCH_CRC_START, out.length));
  }

  /** Buffer bytes held (what a memory budget must count); grows by doubling unless reserve() sets it. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Grows the buffer to exactly `capacity` bytes when it is smaller (one copy), so appends up to it never reallocate. */
  reserve(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

function writeField(buf: Uint8Array, pos: number, v: Uint8Array | string | null | undefined, len: number): number {
  if (v === null || v === undefined) return pos;
  if (typeof v === 'string') return writeUtf8(buf, pos, v, len);
  buf.set(v, pos);
  return pos + len;
}
