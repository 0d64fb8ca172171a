/**
 * Validation of produced record batches, complete enough that nothing the broker acknowledges can
 * stop a consumer: each batch's framing and CRC-32C (CORRUPT_MESSAGE: the bytes were damaged on
 * the way, a retry may succeed), then its header rules and every record inside it — compressed
 * payloads decompressed within a bound first (INVALID_RECORD: the producer built it wrong; the
 * message says what). Nothing is written unless every batch of the partition passes.
 *
 * Codecs: gzip (node:zlib, maxOutputLength), snappy (the raw block's length prefix is checked
 * before decoding), zstd (frames walked and bounded first, see zstd-frames.ts). lz4 batches are
 * refused: this broker cannot look inside them, and a batch it cannot check could be a poison pill.
 */
import { gunzipSync } from 'node:zlib';
import { uncompressSync as snappyUncompress } from 'snappy';
import {
  BATCH_HEADER_SIZE,
  BatchAttribute,
  CompressionCodec,
  ERRORS,
  StrataError,
  compressionOf,
  iterateBatches,
  validateRecords,
  type BatchView,
  type RecordBatchHeader,
} from '@strata/protocol';
import { InvalidZstdError, zstdDecompressBounded } from './zstd-frames';

export interface ProduceValidationOptions {
  /** The topic's max.message.bytes: the largest batch accepted. */
  maxBatchBytes: number;
  /** Largest records section a compressed batch may expand to. */
  maxUncompressedBytes: number;
  /** Compacted topics: every record needs a key. */
  requireKeys: boolean;
}

function invalid(message: string, cause?: unknown): StrataError {
  return new StrataError(ERRORS.INVALID_RECORD, message, cause === undefined ? undefined : { cause });
}

/** Splits and validates the records of one partition. Throws StrataError. */
export function validateProducedRecords(records: Uint8Array, options: ProduceValidationOptions): BatchView[] {
  if (records.length === 0) throw invalid('no record batch for the partition');
  const batches = [...iterateBatches(records, { validate: true, maxBatchBytes: options.maxBatchBytes })];
  batches.forEach(({ header, bytes }, index) => {
    const where = batches.length > 1 ? `batch ${index}: ` : '';
    checkHeader(header, where);
    const section = recordsSection(header, bytes.subarray(BATCH_HEADER_SIZE), options.maxUncompressedBytes, where);
    try {
      validateRecords(section, header, { requireKeys: options.requireKeys });
    } catch (e) {
      if (e instanceof StrataError && e.code === 'INVALID_RECORD') throw e;
      throw invalid(`${where}${(e as Error).message}`, e);
    }
  });
  return batches;
}

function checkHeader(header: RecordBatchHeader, where: string): void {
  if (header.recordCount === 0) throw invalid(`${where}a produced batch must hold at least one record`);
  if (header.lastOffsetDelta !== header.recordCount - 1) {
    throw invalid(`${where}last offset delta ${header.lastOffsetDelta} does not match ${header.recordCount} records`);
  }
  if (header.attributes & (BatchAttribute.TRANSACTIONAL | BatchAttribute.CONTROL)) {
    throw invalid(`${where}transactional and control batches are not supported by this broker`);
  }
  if (header.attributes & BatchAttribute.LOG_APPEND_TIME) throw invalid(`${where}producers must send create-time batches`);
  if (header.attributes & ~0x3f) throw invalid(`${where}unknown batch attribute bits 0x${(header.attributes & ~0x3f).toString(16)}`);
}

/** The batch's records section, decompressed within `maxBytes`. */
function recordsSection(header: RecordBatchHeader, payload: Uint8Array, maxBytes: number, where: string): Uint8Array {
  const codec = compressionOf(header.attributes);
  try {
    switch (codec) {
      case CompressionCodec.None:
        return payload;
      case CompressionCodec.Gzip:
        return gunzipSync(payload, { maxOutputLength: maxBytes });
      case CompressionCodec.Snappy: {
        const length = snappyLength(payload);
        if (!Number.isFinite(length)) throw invalid(`${where}the snappy payload has a malformed length prefix`);
        if (length > maxBytes) throw invalid(`${where}snappy payload declares ${length} bytes, more than the ${maxBytes} a batch may hold uncompressed`);
        const out = snappyUncompress(payload);
        if (typeof out === 'string') throw new TypeError('snappy returned a string');
        return out;
      }
      case CompressionCodec.Zstd:
        return zstdDecompressBounded(payload, maxBytes);
      case CompressionCodec.Lz4:
        throw invalid(`${where}lz4-compressed batches are not accepted: this broker cannot check what is inside them; use gzip, snappy or zstd`);
      default:
        throw invalid(`${where}unknown compression codec ${codec}`);
    }
  } catch (e) {
    if (e instanceof StrataError) throw e;
    const reason = e instanceof InvalidZstdError ? e.message : (e as Error).message;
    throw invalid(`${where}the ${codecName(codec)} payload cannot be decompressed: ${reason}`, e);
  }
}

/** The uncompressed length that starts a raw snappy block (a uvarint); Infinity when malformed. */
function snappyLength(payload: Uint8Array): number {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < payload.length; i++) {
    const b = payload[i]!;
    n += (b & 0x7f) * mul;
    if (b < 0x80) return n;
    mul *= 128;
  }
  return Infinity;
}

function codecName(codec: number): string {
  return ['none', 'gzip', 'snappy', 'lz4', 'zstd'][codec] ?? `codec ${codec}`;
}
