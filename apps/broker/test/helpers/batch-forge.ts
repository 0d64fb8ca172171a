/**
 * A record-batch forge for the fuzzers: batches are built from an editable model (header fields,
 * and each record as a list of tokens: varints and raw byte strings) so that a mutation can lie
 * about one field precisely, e.g. a key length one larger than the key, with the record length
 * still consistent, inside a gzip payload, under a correct CRC.
 *
 * Independent of the protocol's RecordBatchBuilder on purpose: it encodes the layout documented
 * in packages/protocol/src/record-batch.ts itself, and can encode what the builder never would
 * (non-minimal varints, lengths that disagree with the data). Only crc32c is shared.
 */
import { gzipSync } from 'node:zlib';
import { compressSync as snappyCompress } from 'snappy';
import { BATCH_CRC_START, BatchField, crc32c } from '@strata/protocol';

export type VarintField = 'timestampDelta' | 'offsetDelta' | 'keyLength' | 'valueLength' | 'headerCount' | 'headerKeyLength' | 'headerValueLength';
export type RawField = 'key' | 'value' | 'headerKey' | 'headerValue' | 'junk';

export type Token =
  | { kind: 'uvarint'; field: VarintField; value: number; pad: number }
  | { kind: 'varlong'; field: 'timestampDelta'; value: number; pad: number }
  | { kind: 'raw'; field: RawField; bytes: Uint8Array };

export interface RecordModel {
  tokens: Token[];
  /** When set, the record's length prefix says this instead of the real body size. */
  lengthOverride: number | null;
  /** Extra bytes of a non-minimal length prefix. */
  lengthPad: number;
}

export interface BatchModel {
  codec: number;
  attributes: number;
  baseTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  recordCount: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: RecordModel[];
  /** Compression of the section; `declared` lets a zstd frame claim another content size. */
  zstdDeclaredSize: number | null;
}

export interface RecordSpec {
  timestampDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Array<{ key: Uint8Array; value: Uint8Array | null }>;
}

/** Unsigned varint of `value` (>= 0, up to 2^53), with `pad` extra continuation bytes. */
export function uvarintBytes(value: number, pad = 0): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(value));
  do {
    const low = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? low | 0x80 : low);
  } while (v > 0);
  if (pad > 0) {
    out[out.length - 1]! |= 0x80;
    for (let i = 1; i < pad; i++) out.push(0x80);
    out.push(0);
  }
  return out;
}

/** Zig-zag signed varint. */
export function varlongBytes(value: number, pad = 0): number[] {
  return uvarintBytes(value >= 0 ? value * 2 : -value * 2 - 1, pad);
}

function tokenBytes(t: Token): number[] | Uint8Array {
  if (t.kind === 'raw') return t.bytes;
  return t.kind === 'uvarint' ? uvarintBytes(t.value, t.pad) : varlongBytes(t.value, t.pad);
}

export function recordModel(spec: RecordSpec, offsetDelta: number): RecordModel {
  const tokens: Token[] = [
    { kind: 'varlong', field: 'timestampDelta', value: spec.timestampDelta, pad: 0 },
    { kind: 'uvarint', field: 'offsetDelta', value: offsetDelta, pad: 0 },
  ];
  for (const [field, bytes] of [
    ['key', spec.key],
    ['value', spec.value],
  ] as const) {
    tokens.push({ kind: 'uvarint', field: field === 'key' ? 'keyLength' : 'valueLength', value: bytes === null ? 0 : bytes.length + 1, pad: 0 });
    if (bytes !== null) tokens.push({ kind: 'raw', field, bytes });
  }
  tokens.push({ kind: 'uvarint', field: 'headerCount', value: spec.headers.length, pad: 0 });
  for (const h of spec.headers) {
    tokens.push({ kind: 'uvarint', field: 'headerKeyLength', value: h.key.length, pad: 0 }, { kind: 'raw', field: 'headerKey', bytes: h.key });
    tokens.push({ kind: 'uvarint', field: 'headerValueLength', value: h.value === null ? 0 : h.value.length + 1, pad: 0 });
    if (h.value !== null) tokens.push({ kind: 'raw', field: 'headerValue', bytes: h.value });
  }
  return { tokens, lengthOverride: null, lengthPad: 0 };
}

export function encodeRecord(r: RecordModel): Uint8Array {
  const parts = r.tokens.map(tokenBytes);
  const bodySize = parts.reduce((n, p) => n + p.length, 0);
  const prefix = uvarintBytes(r.lengthOverride ?? bodySize, r.lengthPad);
  const out = new Uint8Array(prefix.length + bodySize);
  out.set(prefix, 0);
  let at = prefix.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function encodeSection(records: readonly RecordModel[]): Uint8Array {
  return Buffer.concat(records.map(encodeRecord));
}

/** Timestamp deltas of the records' first timestampDelta tokens. */
function timestampDeltas(records: readonly RecordModel[]): number[] {
  return records.map((r) => {
    const t = r.tokens.find((x) => x.kind === 'varlong');
    return t && t.kind === 'varlong' ? t.value : 0;
  });
}

/** Recomputes the header fields that describe the records (count, deltas, max timestamp). */
export function describeRecords(m: BatchModel): void {
  m.recordCount = m.records.length;
  m.lastOffsetDelta = Math.max(0, m.records.length - 1);
  m.maxTimestamp = m.baseTimestamp + Math.max(...timestampDeltas(m.records), -Infinity);
  if (m.records.length === 0) m.maxTimestamp = m.baseTimestamp;
}

export function batchModel(specs: readonly RecordSpec[], codec: number, baseTimestamp: number): BatchModel {
  const m: BatchModel = {
    codec,
    attributes: codec,
    baseTimestamp,
    maxTimestamp: 0,
    lastOffsetDelta: 0,
    recordCount: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    records: specs.map((s, i) => recordModel(s, i)),
    zstdDeclaredSize: null,
  };
  describeRecords(m);
  return m;
}

/** A zstd frame of raw (stored) blocks: valid zstd that needs no compressor. */
export function zstdRaw(data: Uint8Array, declaredSize = data.length): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < data.length || blocks.length === 0; at += 128 * 1024) {
    const chunk = data.subarray(at, Math.min(at + 128 * 1024, data.length));
    const last = at + 128 * 1024 >= data.length ? 1 : 0;
    const h = (chunk.length << 3) | last;
    blocks.push(Uint8Array.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), chunk);
  }
  const header = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, declaredSize & 0xff, (declaredSize >> 8) & 0xff, (declaredSize >> 16) & 0xff, declaredSize >>> 24]);
  return Buffer.concat([header, ...blocks]);
}

export function compress(codec: number, section: Uint8Array, zstdDeclaredSize: number | null = null): Uint8Array {
  switch (codec) {
    case 1:
      return gzipSync(section, { level: 1 });
    case 2:
      return snappyCompress(section);
    case 4:
      return zstdRaw(section, zstdDeclaredSize ?? section.length);
    default:
      return section;
  }
}

/** The bytes of a whole batch: 61-byte header (CRC correct for these bytes) and `payload`. */
export function assemble(m: BatchModel, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(61 + payload.length);
  const v = new DataView(b.buffer);
  v.setBigInt64(BatchField.BASE_OFFSET, 0n);
  v.setInt32(BatchField.BATCH_LENGTH, b.length - 12);
  v.setInt32(BatchField.PARTITION_LEADER_EPOCH, -1);
  v.setInt8(BatchField.MAGIC, 2);
  v.setInt16(BatchField.ATTRIBUTES, m.attributes);
  v.setInt32(BatchField.LAST_OFFSET_DELTA, m.lastOffsetDelta);
  v.setBigInt64(BatchField.BASE_TIMESTAMP, BigInt(m.baseTimestamp));
  v.setBigInt64(BatchField.MAX_TIMESTAMP, BigInt(m.maxTimestamp));
  v.setBigInt64(BatchField.PRODUCER_ID, BigInt(m.producerId));
  v.setInt16(BatchField.PRODUCER_EPOCH, m.producerEpoch);
  v.setInt32(BatchField.BASE_SEQUENCE, m.baseSequence);
  v.setInt32(BatchField.RECORD_COUNT, m.recordCount);
  b.set(payload, 61);
  reseal(b);
  return b;
}

export function build(m: BatchModel): Uint8Array {
  return assemble(m, compress(m.codec, encodeSection(m.records), m.zstdDeclaredSize));
}

/**
 * Recomputes the CRC of the batch at `pos` over the bytes its (possibly edited) batchLength
 * covers, when they lie within `b`: the lie then gets past the CRC check. Returns false when the
 * batchLength points outside `b` (the CRC is left as it is).
 */
export function reseal(b: Uint8Array, pos = 0): boolean {
  if (pos + 61 > b.length) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = v.getInt32(pos + BatchField.BATCH_LENGTH) + 12;
  if (size < 61 || pos + size > b.length) return false;
  v.setUint32(pos + BatchField.CRC, crc32c(b, pos + BATCH_CRC_START, pos + size));
  return true;
}
