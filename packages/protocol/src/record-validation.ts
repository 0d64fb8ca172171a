/**
 * Full structural validation of a records section, without building records: what the broker
 * checks before it appends a produced batch, so that no batch it acknowledges can stop a consumer.
 *
 * For each of `recordCount` records (layout in record-batch.ts):
 * - the length varint (at most 5 bytes, below 2^31) and the record within the section;
 * - the timestamp delta (a signed varint of at most 8 bytes) and the offset delta: with
 *   `sequentialOffsets` (produced batches) it must be the record's index, otherwise strictly
 *   increasing and at most `lastOffsetDelta`;
 * - key and value: a nullable length (0 = null, n + 1 = n bytes) and n bytes inside the record;
 * - the header count, and each header's key (n bytes of valid UTF-8) and nullable value inside
 *   the record;
 * - the record ends exactly where its length says; the section ends after the last record.
 * With `checkTimestamps`, the largest record timestamp must equal the header's maxTimestamp (the
 * time index trusts it); with `requireKeys`, a record without a key is INVALID_RECORD.
 *
 * Throws StrataProtocolError CORRUPT_MESSAGE naming the record and the problem. Allocation-free:
 * it runs for every record the broker accepts.
 */
import { corrupt } from './bytes';
import { ERRORS, StrataProtocolError } from './errors';
import type { RecordBatchHeader } from './record-batch';

export interface RecordsValidation {
  /** Offset deltas must be 0, 1, 2, … (what producers send). Default true. */
  sequentialOffsets?: boolean;
  /** The largest record timestamp must equal the header's maxTimestamp. Default true. */
  checkTimestamps?: boolean;
  /** Every record must have a key (compacted topics). Default false. */
  requireKeys?: boolean;
}

/** Position after the varint last read by `uvarintAt` / `varlongAt` (module state, no allocation). */
let next = 0;

/** Unsigned varint of at most 5 bytes below 2^31 at `pos`, not past `end`; -1 when malformed. */
function uvarintAt(buf: Uint8Array, pos: number, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++]!;
    if (i === 4 && b > 0x07) return -1;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      next = pos;
      return result;
    }
    mul *= 128;
  }
  return -1;
}

/** Zig-zag signed varint of at most 8 bytes at `pos`; NaN when malformed. */
function varlongAt(buf: Uint8Array, pos: number, end: number): number {
  let z = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= end) return NaN;
    const b = buf[pos++]!;
    z += (b & 0x7f) * mul;
    if (b < 0x80) {
      next = pos;
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    mul *= 128;
  }
  return NaN;
}

export function validateRecords(
  section: Uint8Array,
  header: Pick<RecordBatchHeader, 'recordCount' | 'lastOffsetDelta' | 'baseTimestamp' | 'maxTimestamp'>,
  options: RecordsValidation = {},
): void {
  const sequential = options.sequentialOffsets ?? true;
  const checkTimestamps = options.checkTimestamps ?? true;
  const requireKeys = options.requireKeys ?? false;
  const total = section.length;
  let pos = 0;
  let lastDelta = -1;
  let maxTimestamp = -Infinity;
  for (let i = 0; i < header.recordCount; i++) {
    const length = uvarintAt(section, pos, total);
    if (length < 0) throw corrupt(`record ${i}: length varint is truncated or too long`, pos);
    const start = next;
    const end = start + length;
    if (end > total) throw corrupt(`record ${i}: length ${length} runs past the end of the batch`, start);
    const timestampDelta = varlongAt(section, start, end);
    if (Number.isNaN(timestampDelta)) throw corrupt(`record ${i}: timestamp delta is truncated or too long`, start);
    const timestamp = header.baseTimestamp + timestampDelta;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const offsetDelta = uvarintAt(section, next, end);
    if (offsetDelta < 0) throw corrupt(`record ${i}: offset delta is truncated or too long`, start);
    if (sequential ? offsetDelta !== i : offsetDelta <= lastDelta || offsetDelta > header.lastOffsetDelta) {
      throw corrupt(`record ${i}: offset delta ${offsetDelta} is out of sequence (${sequential ? `expected ${i}` : `previous ${lastDelta}, last ${header.lastOffsetDelta}`})`, start);
    }
    lastDelta = offsetDelta;
    let p = next;
    for (let field = 0; field < 2; field++) {
      const n = uvarintAt(section, p, end);
      if (n < 0) throw corrupt(`record ${i}: ${field === 0 ? 'key' : 'value'} length is truncated or too long`, p);
      if (n === 0 && field === 0 && requireKeys) throw new StrataProtocolError(ERRORS.INVALID_RECORD, `record ${i} has no key: compacted topics need a key on every record`, p);
      p = next + (n === 0 ? 0 : n - 1);
      if (p > end) throw corrupt(`record ${i}: ${field === 0 ? 'key' : 'value'} of ${n - 1} bytes runs past the end of the record`, next);
    }
    const headerCount = uvarintAt(section, p, end);
    if (headerCount < 0) throw corrupt(`record ${i}: header count is truncated or too long`, p);
    p = next;
    if (headerCount > end - p) throw corrupt(`record ${i}: header count ${headerCount} is larger than the record can hold`, p);
    for (let h = 0; h < headerCount; h++) {
      const keyLength = uvarintAt(section, p, end);
      if (keyLength < 0 || next + keyLength > end) throw corrupt(`record ${i}: header ${h} key runs past the end of the record`, p);
      if (!isUtf8(section, next, next + keyLength)) throw corrupt(`record ${i}: header ${h} key is not valid UTF-8`, next);
      p = next + keyLength;
      const valueLength = uvarintAt(section, p, end);
      if (valueLength < 0) throw corrupt(`record ${i}: header ${h} value length is truncated or too long`, p);
      p = next + (valueLength === 0 ? 0 : valueLength - 1);
      if (p > end) throw corrupt(`record ${i}: header ${h} value runs past the end of the record`, next);
    }
    if (p !== end) throw corrupt(`record ${i}: its fields end at ${p - start} bytes but its length says ${length}`, start);
    pos = end;
  }
  if (pos !== total) throw corrupt(`${total - pos} bytes left after the last of ${header.recordCount} records`, pos);
  if (sequential && header.recordCount > 0 && lastDelta !== header.lastOffsetDelta) {
    throw corrupt(`last offset delta ${header.lastOffsetDelta} does not match the ${header.recordCount} records`, 0);
  }
  if (checkTimestamps && header.recordCount > 0 && maxTimestamp !== header.maxTimestamp) {
    throw corrupt(`max timestamp ${header.maxTimestamp} in the header differs from the records' largest timestamp ${maxTimestamp}`, 0);
  }
}

/**
 * True when bytes [start, end) are well-formed UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF): what a fatal TextDecoder accepts.
 */
export function isUtf8(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else return false;
    if (i + need >= end) return false;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) return false;
      cp = cp * 64 + (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}
