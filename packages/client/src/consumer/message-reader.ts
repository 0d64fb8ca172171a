/**
 * Decodes the records section of a batch straight into ConsumerMessages: the consumer's hot loop.
 *
 * Same format and the same checks as @strata/protocol's decodeRecords (length, offset-delta order,
 * header count, nothing left over; CORRUPT_MESSAGE otherwise), but without the intermediate
 * record object per record, and with varints read inline (one byte in the common case) instead of
 * through a cursor object: decoding and the garbage it leaves dominate a fast consumer's CPU time.
 * Keys, values and header values are made by the entry's BytesView (Buffer in Node, Uint8Array in
 * browsers), as views of `section`.
 * Stateless apart from the module-level `next` position of the last multi-byte varint read.
 */
import { corrupt, decodeUtf8, type RecordBatchHeader } from '@strata/protocol';
import type { BytesView } from './bytes-view';
import { ConsumerMessage, type RecordHeader } from './consumer-message';

const NO_HEADERS: ReadonlyArray<RecordHeader<never>> = Object.freeze([]);

/** Position after the varint read by uvarintAt / varlongAt. */
let next = 0;

/** Unsigned varint (at most 5 bytes, below 2^31) at `pos`; its end goes to `next`. */
function uvarintAt(buf: Uint8Array, pos: number, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw corrupt('varint runs past the end of the data', pos);
    const b = buf[pos++]!;
    if (i === 4 && b > 0x07) throw corrupt('varint is larger than 2^31 - 1', pos);
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      next = pos;
      return result;
    }
    mul *= 128;
  }
  throw corrupt('varint is longer than 5 bytes', pos);
}

/** Zig-zag signed varint (at most 8 bytes) at `pos`; its end goes to `next`. */
function varlongAt(buf: Uint8Array, pos: number, end: number): number {
  let z = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= end) throw corrupt('varint runs past the end of the data', pos);
    const b = buf[pos++]!;
    z += (b & 0x7f) * mul;
    if (b < 0x80) {
      next = pos;
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    mul *= 128;
  }
  throw corrupt('signed varint is longer than 8 bytes', pos);
}

/**
 * Appends the records of one (decompressed) records section at or after `fetchOffset` to `out`.
 */
export function readMessages<B extends Uint8Array>(
  out: Array<ConsumerMessage<B>>,
  view: BytesView<B>,
  topic: string,
  partition: number,
  section: Uint8Array,
  header: Pick<RecordBatchHeader, 'baseOffset' | 'baseTimestamp' | 'recordCount' | 'lastOffsetDelta'>,
  fetchOffset: number,
): void {
  const buf = section;
  const end = buf.length;
  const ab = buf.buffer;
  const base = buf.byteOffset;
  const { baseOffset, baseTimestamp, recordCount, lastOffsetDelta } = header;
  let pos = 0;
  let lastDelta = -1;
  for (let i = 0; i < recordCount; i++) {
    let b = pos < end ? buf[pos]! : 0x80;
    let length: number;
    if (b < 0x80) {
      length = b;
      pos++;
    } else {
      length = uvarintAt(buf, pos, end);
      pos = next;
    }
    const start = pos;
    const recordEnd = start + length;
    if (recordEnd > end) throw corrupt(`record of ${length} bytes runs past the end of the batch`, start);
    // timestamp delta (zig-zag)
    b = pos < recordEnd ? buf[pos]! : 0x80;
    let timestampDelta: number;
    if (b < 0x80) {
      timestampDelta = b % 2 === 0 ? b / 2 : -(b + 1) / 2;
      pos++;
    } else {
      timestampDelta = varlongAt(buf, pos, recordEnd);
      pos = next;
    }
    b = pos < recordEnd ? buf[pos]! : 0x80;
    let offsetDelta: number;
    if (b < 0x80) {
      offsetDelta = b;
      pos++;
    } else {
      offsetDelta = uvarintAt(buf, pos, recordEnd);
      pos = next;
    }
    if (offsetDelta <= lastDelta || offsetDelta > lastOffsetDelta) throw corrupt(`record offset delta ${offsetDelta} out of order or beyond the batch`, start);
    lastDelta = offsetDelta;
    // key and value: uvarint 0 = null, n + 1 = n bytes
    let key: B | null = null;
    b = pos < recordEnd ? buf[pos]! : 0x80;
    let n: number;
    if (b < 0x80) {
      n = b;
      pos++;
    } else {
      n = uvarintAt(buf, pos, recordEnd);
      pos = next;
    }
    if (n > 0) {
      if (pos + n - 1 > recordEnd) throw corrupt(`key of ${n - 1} bytes runs past its record`, pos);
      key = view(ab, base + pos, n - 1);
      pos += n - 1;
    }
    let value: B | null = null;
    b = pos < recordEnd ? buf[pos]! : 0x80;
    if (b < 0x80) {
      n = b;
      pos++;
    } else {
      n = uvarintAt(buf, pos, recordEnd);
      pos = next;
    }
    if (n > 0) {
      if (pos + n - 1 > recordEnd) throw corrupt(`value of ${n - 1} bytes runs past its record`, pos);
      value = view(ab, base + pos, n - 1);
      pos += n - 1;
    }
    const headerCount = uvarintAt(buf, pos, recordEnd);
    pos = next;
    let headers: ReadonlyArray<RecordHeader<B>> = NO_HEADERS;
    if (headerCount > 0) {
      if (headerCount > length) throw corrupt(`header count ${headerCount} exceeds the record length`, start);
      const list: Array<RecordHeader<B>> = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const keyLength = uvarintAt(buf, pos, recordEnd);
        pos = next;
        if (pos + keyLength > recordEnd) throw corrupt(`header key of ${keyLength} bytes runs past its record`, pos);
        const hk = decodeUtf8(buf.subarray(pos, pos + keyLength));
        pos += keyLength;
        const valueLength = uvarintAt(buf, pos, recordEnd);
        pos = next;
        let hv: B | null = null;
        if (valueLength > 0) {
          if (pos + valueLength - 1 > recordEnd) throw corrupt(`header value of ${valueLength - 1} bytes runs past its record`, pos);
          hv = view(ab, base + pos, valueLength - 1);
          pos += valueLength - 1;
        }
        list[h] = { key: hk, value: hv };
      }
      headers = list;
    }
    if (pos !== recordEnd) throw corrupt(`record length ${length} does not match its contents (${pos - start} bytes)`, start);
    const offset = baseOffset + offsetDelta;
    if (offset >= fetchOffset) out.push(new ConsumerMessage(topic, partition, offset, baseTimestamp + timestampDelta, key, value, headers));
  }
  if (pos !== end) throw corrupt(`${end - pos} bytes left after the last record`, pos);
}
