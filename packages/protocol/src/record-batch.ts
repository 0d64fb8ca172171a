/**
 * Record batches: the unit that producers send, the broker stores verbatim and consumers fetch.
 *
 * Batch layout (big-endian, 61-byte header, then the records section):
 *
 *   offset size field
 *        0    8 baseOffset            int64  offset of the first record; stamped by the broker
 *        8    4 batchLength           int32  bytes after this field (whole batch = batchLength + 12)
 *       12    4 partitionLeaderEpoch  int32  stamped by the broker
 *       16    1 magic                 int8   format version, 2
 *       17    4 crc                   uint32 CRC-32C of bytes [21, end of batch)
 *       21    2 attributes            int16  bits 0-2 compression codec, bit 3 timestamp type
 *                                            (0 create time, 1 log-append time), bit 4
 *                                            transactional, bit 5 control batch
 *       23    4 lastOffsetDelta       int32  offset of the last record minus baseOffset
 *       27    8 baseTimestamp         int64  timestamp of the first record (ms since epoch)
 *       35    8 maxTimestamp          int64  largest record timestamp
 *       43    8 producerId            int64  -1 when not idempotent
 *       51    2 producerEpoch         int16
 *       53    4 baseSequence          int32  sequence of the first record, -1 when not idempotent
 *       57    4 recordCount           int32
 *       61      records section (compressed as a whole when the codec is not 0)
 *
 * Because the CRC starts at byte 21, the broker can stamp baseOffset and partitionLeaderEpoch
 * without recomputing it.
 *
 * Record layout (varints as in bytes.ts; `uvarint` unsigned, `varlong` zig-zag signed):
 *
 *   length          uvarint   bytes of the rest of the record
 *   timestampDelta  varlong   timestamp - baseTimestamp
 *   offsetDelta     uvarint   offset - baseOffset
 *   keyLength       uvarint   0 = null key, n + 1 = key of n bytes
 *   key             bytes
 *   valueLength     uvarint   0 = null value (a tombstone), n + 1 = value of n bytes
 *   value           bytes
 *   headerCount     uvarint
 *   headers         headerCount x (keyLength uvarint, key UTF-8, valueLength uvarint (0 = null,
 *                   n + 1 = n bytes), value)
 *
 * A 100-byte value without key or headers costs 7 bytes of framing in a batch of up to 128
 * records, 8 bytes beyond; the 61-byte header is shared by the whole batch.
 */
import {
  ByteReader,
  corrupt,
  dataView,
  decodeUtf8,
  readInt64,
  writeInt64,
} from './bytes';
import { crc32c } from './crc32c';
import { ERRORS, StrataProtocolError } from './errors';

export const RECORD_BATCH_MAGIC = 2;
export const BATCH_HEADER_SIZE = 61;
/** Bytes before the part that batchLength counts: baseOffset and batchLength itself. */
export const BATCH_LOG_OVERHEAD = 12;
/** Smallest valid batchLength: the header without the first 12 bytes. */
const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD;
/** First byte the batch CRC covers (attributes onward). */
export const BATCH_CRC_START = 21;

/** Byte positions of the header fields. */
export const BatchField = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
} as const;

export const CompressionCodec = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
} as const;
export type CompressionCodecId = (typeof CompressionCodec)[keyof typeof CompressionCodec];

export const BatchAttribute = {
  COMPRESSION_MASK: 0x07,
  LOG_APPEND_TIME: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
} as const;

export interface RecordBatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Total size in bytes of a batch (header included). */
export function batchSize(header: Pick<RecordBatchHeader, 'batchLength'>): number {
  return header.batchLength + BATCH_LOG_OVERHEAD;
}

export function compressionOf(attributes: number): number {
  return attributes & BatchAttribute.COMPRESSION_MASK;
}

/**
 * Reads the header of the batch at `pos`. Checks only what is needed to read it safely: 61 bytes
 * present, a known magic, a batchLength that is not negative or too small. Use validateBatch to
 * check lengths against the buffer and the CRC.
 */
export function readBatchHeader(buf: Uint8Array, pos = 0, view: DataView = dataView(buf)): RecordBatchHeader {
  if (pos < 0 || pos + BATCH_HEADER_SIZE > buf.length) {
    throw corrupt(`record batch header needs ${BATCH_HEADER_SIZE} bytes, ${Math.max(0, buf.length - pos)} remain`, pos);
  }
  const magic = view.getInt8(pos + BatchField.MAGIC);
  if (magic !== RECORD_BATCH_MAGIC) throw corrupt(`unknown record batch magic ${magic}`, pos + BatchField.MAGIC);
  const batchLength = view.getInt32(pos + BatchField.BATCH_LENGTH);
  if (batchLength < MIN_BATCH_LENGTH) throw corrupt(`record batch length ${batchLength} is below the header size`, pos + BatchField.BATCH_LENGTH);
  const recordCount = view.getInt32(pos + BatchField.RECORD_COUNT);
  if (recordCount < 0) throw corrupt(`negative record count ${recordCount}`, pos + BatchField.RECORD_COUNT);
  const lastOffsetDelta = view.getInt32(pos + BatchField.LAST_OFFSET_DELTA);
  if (lastOffsetDelta < 0) throw corrupt(`negative last offset delta ${lastOffsetDelta}`, pos + BatchField.LAST_OFFSET_DELTA);
  return {
    baseOffset: readInt64(view, pos + BatchField.BASE_OFFSET),
    batchLength,
    partitionLeaderEpoch: view.getInt32(pos + BatchField.PARTITION_LEADER_EPOCH),
    magic,
    crc: view.getUint32(pos + BatchField.CRC),
    attributes: view.getInt16(pos + BatchField.ATTRIBUTES),
    lastOffsetDelta,
    baseTimestamp: readInt64(view, pos + BatchField.BASE_TIMESTAMP),
    maxTimestamp: readInt64(view, pos + BatchField.MAX_TIMESTAMP),
    producerId: readInt64(view, pos + BatchField.PRODUCER_ID),
    producerEpoch: view.getInt16(pos + BatchField.PRODUCER_EPOCH),
    baseSequence: view.getInt32(pos + BatchField.BASE_SEQUENCE),
    recordCount,
  };
}

/**
 * Validates the batch at `pos`: header as in readBatchHeader, the whole batch within
 * `[pos, end)`, at most `maxBatchBytes`, a record count consistent with the offset deltas, and the
 * CRC-32C. Returns the header. Throws StrataProtocolError (CORRUPT_MESSAGE, or MESSAGE_TOO_LARGE).
 */
export function validateBatch(
  buf: Uint8Array,
  pos = 0,
  end = buf.length,
  maxBatchBytes = Number.MAX_SAFE_INTEGER,
  view: DataView = dataView(buf),
): RecordBatchHeader {
  const header = readBatchHeader(buf, pos, view);
  const size = batchSize(header);
  if (size > maxBatchBytes) {
    throw new StrataProtocolError(ERRORS.MESSAGE_TOO_LARGE, `record batch of ${size} bytes exceeds the limit of ${maxBatchBytes}`, pos);
  }
  if (pos + size > end) throw corrupt(`record batch of ${size} bytes runs past the end of the data (${end - pos} bytes)`, pos);
  if (header.recordCount > 0 && header.lastOffsetDelta < header.recordCount - 1) {
    throw corrupt(`record count ${header.recordCount} exceeds last offset delta ${header.lastOffsetDelta} + 1`, pos);
  }
  const actual = crc32c(buf, pos + BATCH_CRC_START, pos + size);
  if (actual !== header.crc) {
    throw corrupt(`record batch CRC-32C mismatch: stored ${header.crc}, computed ${actual}`, pos + BatchField.CRC);
  }
  return header;
}

/** Writes the broker-assigned base offset and leader epoch into a batch (outside the CRC). */
export function stampBatch(buf: Uint8Array, pos: number, baseOffset: number, partitionLeaderEpoch: number, view: DataView = dataView(buf)): void {
  writeInt64(view, pos + BatchField.BASE_OFFSET, baseOffset);
  view.setInt32(pos + BatchField.PARTITION_LEADER_EPOCH, partitionLeaderEpoch);
}

/** One batch inside a larger byte range: its header and its bytes (a view, not a copy). */
export interface BatchView {
  header: RecordBatchHeader;
  /** Position of the batch within the buffer it was read from. */
  position: number;
  bytes: Uint8Array;
}

/**
 * Splits `buf` into batches. With `validate` (the default) every batch is fully validated;
 * without, only headers are read. A trailing partial batch is an error unless `allowPartialTail`
 * is set, in which case iteration stops before it (a fetch may end inside a batch).
 */
export function* iterateBatches(
  buf: Uint8Array,
  options: { validate?: boolean; allowPartialTail?: boolean; maxBatchBytes?: number } = {},
): Generator<BatchView> {
  const validate = options.validate ?? true;
  const view = dataView(buf);
  let pos = 0;
  while (pos < buf.length) {
    if (options.allowPartialTail) {
      if (buf.length - pos < BATCH_HEADER_SIZE) return;
      const len = view.getInt32(pos + BatchField.BATCH_LENGTH);
      if (len >= MIN_BATCH_LENGTH && pos + len + BATCH_LOG_OVERHEAD > buf.length) return;
    }
    const header = validate
      ? validateBatch(buf, pos, buf.length, options.maxBatchBytes, view)
      : readBatchHeader(buf, pos, view);
    const size = batchSize(header);
    if (!validate && pos + size > buf.length) throw corrupt('record batch runs past the end of the data', pos);
    yield { header, position: pos, bytes: buf.subarray(pos, pos + size) };
    pos += size;
  }
}

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

const NO_HEADERS: RecordHeader[] = [];
Object.freeze(NO_HEADERS);

/**
 * Decodes the records section of a batch (already decompressed when the batch is compressed).
 * Keys, values and header values are views into `section`. Every length is checked; a record that
 * does not end where its length says, or a count that does not match, is CORRUPT_MESSAGE.
 */
export function decodeRecords(
  section: Uint8Array,
  header: Pick<RecordBatchHeader, 'baseOffset' | 'baseTimestamp' | 'recordCount' | 'lastOffsetDelta'>,
): DecodedRecord[] {
  const reader = new ByteReader(section);
  const out: DecodedRecord[] = new Array(header.recordCount);
  let lastDelta = -1;
  for (let i = 0; i < header.recordCount; i++) {
    const length = reader.uvarint();
    const start = reader.pos;
    reader.need(length);
    const timestampDelta = reader.varlong();
    const offsetDelta = reader.uvarint();
    if (offsetDelta <= lastDelta || offsetDelta > header.lastOffsetDelta) {
      throw corrupt(`record offset delta ${offsetDelta} out of order or beyond the batch`, start);
    }
    lastDelta = offsetDelta;
    const key = reader.nullableBytes();
    const value = reader.nullableBytes();
    const headerCount = reader.uvarint();
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      if (headerCount > length) throw corrupt(`header count ${headerCount} exceeds the record length`, start);
      headers = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const hk = decodeUtf8(reader.bytes(reader.uvarint()));
        headers[h] = { key: hk, value: reader.nullableBytes() };
      }
    }
    if (reader.pos !== start + length) {
      throw corrupt(`record length ${length} does not match its contents (${reader.pos - start} bytes)`, start);
    }
    out[i] = {
      offset: header.baseOffset + offsetDelta,
      timestamp: header.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
  if (reader.remaining !== 0) throw corrupt(`${reader.remaining} bytes left after the last record`, reader.pos);
  return out;
}

/**
 * Rewrites the producer id, epoch and base sequence of a built batch at `pos` and recomputes its
 * CRC (these fields are covered by it). An idempotent producer uses it when it must renumber
 * batches it already built (a new epoch starts at sequence 0).
 */
export function restampProducerState(
  buf: Uint8Array,
  pos: number,
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  view: DataView = dataView(buf),
): void {
  const header = readBatchHeader(buf, pos, view);
  writeInt64(view, pos + BatchField.PRODUCER_ID, producerId);
  view.setInt16(pos + BatchField.PRODUCER_EPOCH, producerEpoch);
  view.setInt32(pos + BatchField.BASE_SEQUENCE, baseSequence);
  view.setUint32(pos + BatchField.CRC, crc32c(buf, pos + BATCH_CRC_START, pos + batchSize(header)));
}

/** Offset of the last record of a batch. */
export function lastOffsetOf(header: Pick<RecordBatchHeader, 'baseOffset' | 'lastOffsetDelta'>): number {
  return header.baseOffset + header.lastOffsetDelta;
}
