/**
 * The batch fuzzer's oracle: an independent reading of the record-batch spec
 * (packages/protocol/src/record-batch.ts, the produce rules of records/produce-validation.ts)
 * that says whether the broker must accept the records of one partition of a produce, and if not,
 * with which error code. Written apart from the broker's validator so that the two can disagree:
 * each disagreement is a bug in one of them.
 *
 * A batch is valid only if the spec allows it AND the protocol's consumer-side decodeRecords
 * reads it: whatever the broker acknowledges must never stop a consumer.
 *
 * Shared with the broker on purpose: crc32c, the decompressors (node:zlib, snappy, and the
 * broker's bounded zstd walker — the payload bounds are not what this oracle checks).
 */
import { gunzipSync } from 'node:zlib';
import { uncompressSync as snappyUncompress } from 'snappy';
import { BATCH_CRC_START, crc32c, decodeRecords } from '@strata/protocol';
import { zstdDecompressBounded } from '../../src/records/zstd-frames';

export type RefusalCode = 'CORRUPT_MESSAGE' | 'MESSAGE_TOO_LARGE' | 'INVALID_RECORD';
export type Verdict = { ok: true; batches: number; records: number } | { ok: false; code: RefusalCode; reason: string };

export interface OracleOptions {
  maxBatchBytes: number;
  maxUncompressedBytes: number;
  requireKeys: boolean;
}

class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    reason: string,
  ) {
    super(reason);
  }
}

interface Framed {
  view: DataView;
  bytes: Uint8Array;
}

const int64 = (v: DataView, at: number): number => Number(v.getBigInt64(at));

/** Splits a partition's records into batches as the spec frames them (all before any record check). */
function frame(records: Uint8Array, options: OracleOptions): Framed[] {
  const out: Framed[] = [];
  let pos = 0;
  const v = new DataView(records.buffer, records.byteOffset, records.byteLength);
  if (records.length === 0) throw new Refusal('INVALID_RECORD', 'no batch');
  while (pos < records.length) {
    const corrupt = (why: string) => new Refusal('CORRUPT_MESSAGE', `batch at ${pos}: ${why}`);
    if (records.length - pos < 61) throw corrupt('header cut short');
    if (v.getInt8(pos + 16) !== 2) throw corrupt('magic');
    const batchLength = v.getInt32(pos + 8);
    if (batchLength < 49) throw corrupt('batchLength below the header');
    const recordCount = v.getInt32(pos + 57);
    const lastOffsetDelta = v.getInt32(pos + 23);
    if (recordCount < 0 || lastOffsetDelta < 0) throw corrupt('negative count or delta');
    // The protocol reads int64 fields as JavaScript numbers and calls any beyond ±2^53 corrupt.
    for (const at of [0, 27, 35, 43]) {
      const hi = v.getInt32(pos + at);
      if (hi > 0x1fffff || hi < -0x200000) throw corrupt(`int64 at ${at} beyond ±2^53`);
    }
    const size = batchLength + 12;
    if (size > options.maxBatchBytes) throw new Refusal('MESSAGE_TOO_LARGE', `batch of ${size} bytes`);
    if (pos + size > records.length) throw corrupt('runs past the data');
    if (recordCount > 0 && lastOffsetDelta < recordCount - 1) throw corrupt('count beyond the last delta');
    if (crc32c(records, pos + BATCH_CRC_START, pos + size) !== v.getUint32(pos + 17)) throw corrupt('CRC');
    const bytes = records.subarray(pos, pos + size);
    out.push({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    pos += size;
  }
  return out;
}

function decompress(codec: number, payload: Uint8Array, max: number): Uint8Array {
  const invalid = (why: string) => new Refusal('INVALID_RECORD', why);
  try {
    switch (codec) {
      case 0:
        return payload;
      case 1:
        return gunzipSync(payload, { maxOutputLength: max });
      case 2: {
        let n = 0;
        let mul = 1;
        let ok = false;
        for (let i = 0; i < 5 && i < payload.length; i++) {
          n += (payload[i]! & 0x7f) * mul;
          mul *= 128;
          if (payload[i]! < 0x80) {
            ok = true;
            break;
          }
        }
        if (!ok || n > max) throw invalid('snappy length prefix');
        return snappyUncompress(payload) as Buffer;
      }
      case 4:
        return zstdDecompressBounded(payload, max);
      default:
        throw invalid(`codec ${codec}`);
    }
  } catch (e) {
    if (e instanceof Refusal) throw e;
    throw invalid(`payload does not decompress: ${(e as Error).message}`);
  }
}

/** A cursor over one record: every read is bounded by the record's end. */
class Cursor {
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  private fail(why: string): never {
    throw new Refusal('INVALID_RECORD', why);
  }

  /** Unsigned varint, at most 5 bytes, below 2^31. */
  uvarint(what: string): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`${what}: varint cut short`);
      const byte = this.b[this.pos++]!;
      n += (byte & 0x7f) * mul;
      if (byte < 0x80) return n < 2 ** 31 ? n : this.fail(`${what}: varint above 2^31 - 1`);
      mul *= 128;
    }
    return this.fail(`${what}: varint longer than 5 bytes`);
  }

  /** Zig-zag varint, at most 8 bytes. */
  varlong(what: string): number {
    let z = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) this.fail(`${what}: varint cut short`);
      const byte = this.b[this.pos++]!;
      z += (byte & 0x7f) * mul;
      if (byte < 0x80) return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      mul *= 128;
    }
    return this.fail(`${what}: varint longer than 8 bytes`);
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.end - this.pos) this.fail(`${what} of ${n} bytes runs past the record`);
    this.pos += n;
    return this.b.subarray(this.pos - n, this.pos);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks the records of one batch by the spec and the produce rules. */
function checkRecords(section: Uint8Array, count: number, baseTimestamp: number, maxTimestamp: number, requireKeys: boolean): void {
  const outer = new Cursor(section, 0, section.length);
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const length = outer.uvarint(`record ${i} length`);
    const c = new Cursor(section, outer.pos, outer.pos);
    outer.take(length, `record ${i}`);
    c.end = outer.pos;
    max = Math.max(max, baseTimestamp + c.varlong('timestamp delta'));
    if (c.uvarint('offset delta') !== i) throw new Refusal('INVALID_RECORD', `record ${i}: offset delta not ${i}`);
    const keyLength = c.uvarint('key length');
    if (keyLength === 0 && requireKeys) throw new Refusal('INVALID_RECORD', `record ${i} without a key`);
    c.take(Math.max(0, keyLength - 1), 'key');
    c.take(Math.max(0, c.uvarint('value length') - 1), 'value');
    const headers = c.uvarint('header count');
    for (let h = 0; h < headers; h++) {
      const key = c.take(c.uvarint('header key length'), 'header key');
      try {
        utf8.decode(key);
      } catch {
        throw new Refusal('INVALID_RECORD', `record ${i} header ${h}: key not UTF-8`);
      }
      c.take(Math.max(0, c.uvarint('header value length') - 1), 'header value');
    }
    if (c.pos !== c.end) throw new Refusal('INVALID_RECORD', `record ${i}: ${c.end - c.pos} bytes after its last field`);
  }
  if (outer.pos !== section.length) throw new Refusal('INVALID_RECORD', 'bytes after the last record');
  if (max !== maxTimestamp) throw new Refusal('INVALID_RECORD', `maxTimestamp ${maxTimestamp} is not the largest timestamp ${max}`);
}

export function judge(records: Uint8Array, options: OracleOptions): Verdict {
  try {
    const batches = frame(records, options);
    let total = 0;
    for (const { bytes, view } of batches) {
      const attributes = view.getInt16(21);
      const count = view.getInt32(57);
      const lastOffsetDelta = view.getInt32(23);
      const header = { baseOffset: 0, baseTimestamp: int64(view, 27), recordCount: count, lastOffsetDelta };
      if (count === 0) throw new Refusal('INVALID_RECORD', 'empty batch');
      if (lastOffsetDelta !== count - 1) throw new Refusal('INVALID_RECORD', 'lastOffsetDelta');
      if (attributes & ~0x07) throw new Refusal('INVALID_RECORD', `attributes 0x${attributes.toString(16)}`);
      const section = decompress(attributes & 7, bytes.subarray(61), options.maxUncompressedBytes);
      checkRecords(section, count, header.baseTimestamp, int64(view, 35), options.requireKeys);
      try {
        decodeRecords(section, header);
      } catch (e) {
        // The spec allows it but a consumer cannot read it: the broker must refuse it.
        throw new Refusal('INVALID_RECORD', `consumer decoder refuses: ${(e as Error).message}`);
      }
      total += count;
    }
    return { ok: true, batches: batches.length, records: total };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, code: e.code, reason: e.message };
    throw e;
  }
}
