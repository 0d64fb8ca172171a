/**
 * Structure-aware mutations of record batches for the batch fuzzer. A case is one partition's
 * records in a produce request: one to three batches built with batch-forge, at most one of them
 * mutated by one or two lies, either
 * - in the model (a header field, a varint of a record, a key or header key, records dropped,
 *   duplicated or swapped), rebuilt and compressed afterwards, so the lie sits inside a valid
 *   gzip/snappy/zstd payload under a correct CRC; or
 * - in the bytes (a header field written raw, the payload flipped, cut, grown), then re-sealed
 *   (CRC recomputed) most of the time and left with its old CRC otherwise.
 * Every mutation is described in words, so a failing case says what was done to it.
 */
import { BatchField } from '@strata/protocol';
import {
  batchModel,
  build,
  describeRecords,
  encodeSection,
  reseal,
  type BatchModel,
  type RecordSpec,
  type Token,
} from './batch-forge';
import type { Rng } from './fuzz-random';

export interface FuzzCase {
  records: Uint8Array;
  mutations: string[];
}

const HEADER_KEYS = ['h', 'trace-id', '', 'ключ', '😀', 'a'.repeat(40)];
const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xc3, 0xa9]];
const CODECS = [0, 0, 1, 2, 4];
const enc = new TextEncoder();

function bytesOrNull(rng: Rng, nullChance: number, maxLength: number): Uint8Array | null {
  return rng.chance(nullChance) ? null : rng.bytes(rng.chance(0.1) ? 0 : rng.int(maxLength));
}

export function recordSpecs(rng: Rng, keyed: boolean): RecordSpec[] {
  const count = rng.chance(0.1) ? rng.range(10, 40) : rng.range(1, 5);
  const big = rng.chance(0.03);
  return Array.from({ length: count }, (_, i) => ({
    timestampDelta: rng.chance(0.5) ? i : rng.range(-5000, 5000),
    key: bytesOrNull(rng, keyed ? 0.02 : 0.25, 24),
    value: big && i === 0 ? rng.bytes(rng.range(1000, 3000)) : bytesOrNull(rng, 0.08, 160),
    headers: Array.from({ length: rng.chance(0.6) ? 0 : rng.range(1, 3) }, () => ({ key: enc.encode(rng.pick(HEADER_KEYS)), value: bytesOrNull(rng, 0.3, 16) })),
  }));
}

function validModel(rng: Rng, keyed: boolean): BatchModel {
  return batchModel(recordSpecs(rng, keyed), rng.pick(CODECS), 1_700_000_000_000 + rng.int(1e9));
}

function uvarintLie(rng: Rng, cur: number): number {
  return rng.pick([0, 1, 2, cur - 1, cur + 1, cur + 2, cur * 2, 127, 128, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 35 - 1, rng.int(300)]);
}

function varlongLie(rng: Rng, cur: number): number {
  return rng.pick([0, 1, -1, cur - 1, cur + 1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 40), 2 ** 48, rng.range(-1e6, 1e6)]);
}

function int32Lie(rng: Rng, cur: number): number {
  return rng.pick([0, 1, -1, cur - 1, cur + 1, cur + 2, 2 ** 31 - 1, -(2 ** 31), rng.int(100)]);
}

/** One lie told in the model; the batch is rebuilt from it. */
function mutateModel(rng: Rng, m: BatchModel): string {
  const rec = rng.int(m.records.length);
  const r = m.records[rec]!;
  const numeric = r.tokens.filter((t): t is Exclude<Token, { kind: 'raw' }> => t.kind !== 'raw');
  const raws = r.tokens.filter((t): t is Extract<Token, { kind: 'raw' }> => t.kind === 'raw');
  const redescribe = rng.chance(0.5);
  let what: string;
  switch (rng.int(12)) {
    case 0: {
      if (numeric.length === 0) return mutateModel(rng, m);
      const t = rng.pick(numeric);
      const old = t.value;
      t.value = t.kind === 'varlong' ? varlongLie(rng, old) : uvarintLie(rng, old);
      if (rng.chance(0.15)) t.pad = rng.range(1, 5);
      what = `record ${rec} ${t.field} ${old} -> ${t.value} (pad ${t.pad})`;
      break;
    }
    case 1:
      r.lengthOverride = uvarintLie(rng, encodeSection([r]).length - 1);
      if (rng.chance(0.2)) r.lengthPad = rng.range(1, 5);
      what = `record ${rec} length says ${r.lengthOverride} (pad ${r.lengthPad})`;
      break;
    case 2: {
      const hk = r.tokens.findIndex((t) => t.field === 'headerKey');
      if (hk < 0) return mutateModel(rng, m);
      const bad = Uint8Array.from(rng.pick(INVALID_UTF8));
      const key = r.tokens[hk] as Extract<Token, { kind: 'raw' }>;
      const at = rng.int(key.bytes.length + 1);
      key.bytes = Buffer.concat([key.bytes.subarray(0, at), bad, key.bytes.subarray(at)]);
      (r.tokens[hk - 1] as Extract<Token, { kind: 'uvarint' }>).value = key.bytes.length;
      what = `record ${rec} header key gets bytes ${Buffer.from(bad).toString('hex')}`;
      break;
    }
    case 3: {
      if (raws.length === 0) return mutateModel(rng, m);
      const t = rng.pick(raws);
      t.bytes = rng.chance(0.5) ? t.bytes.subarray(0, Math.max(0, t.bytes.length - rng.range(1, 3))) : Buffer.concat([t.bytes, rng.bytes(rng.range(1, 3))]);
      what = `record ${rec} ${t.field} resized to ${t.bytes.length} bytes, its length field unchanged`;
      break;
    }
    case 4: {
      const i = rng.int(r.tokens.length);
      const [removed] = rng.chance(0.5) ? r.tokens.splice(i, 1) : [r.tokens[i]!];
      if (removed && !r.tokens.includes(removed)) what = `record ${rec} token ${removed.field} removed`;
      else {
        r.tokens.splice(i, 0, rng.chance(0.5) ? { ...r.tokens[i]! } : { kind: 'raw', field: 'junk', bytes: rng.bytes(rng.range(1, 4)) });
        what = `record ${rec} token inserted before ${r.tokens[i + 1]?.field ?? 'the end'}`;
      }
      break;
    }
    case 5: {
      const op = rng.int(4);
      if (op === 0 && m.records.length > 1) m.records.splice(rec, 1);
      else if (op === 1) m.records.splice(rec, 0, structuredClone(r));
      else if (op === 2 && m.records.length > 1) {
        const other = rng.int(m.records.length);
        [m.records[rec], m.records[other]] = [m.records[other]!, r];
      } else m.records.push(structuredClone(r));
      what = `records ${['dropped', 'duplicated', 'swapped', 'appended'][op]} at ${rec}`;
      break;
    }
    case 6:
      m.recordCount = int32Lie(rng, m.recordCount);
      if (rng.chance(0.5)) m.lastOffsetDelta = m.recordCount - 1;
      return `recordCount ${m.recordCount}, lastOffsetDelta ${m.lastOffsetDelta}`;
    case 7:
      m.lastOffsetDelta = int32Lie(rng, m.lastOffsetDelta);
      return `lastOffsetDelta ${m.lastOffsetDelta}`;
    case 8:
      m.maxTimestamp = rng.pick([m.maxTimestamp - 1, m.maxTimestamp + 1, -1, 0, m.baseTimestamp]);
      return `maxTimestamp ${m.maxTimestamp}`;
    case 9:
      m.attributes = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, m.codec | 0x08, m.codec | 0x10, m.codec | 0x20, m.codec | 0x40, m.codec | 0x100, m.codec - 0x8000]);
      return `attributes 0x${(m.attributes & 0xffff).toString(16)} (payload ${m.codec})`;
    case 10:
      if (m.codec === 4) {
        m.zstdDeclaredSize = rng.pick([0, 1, encodeSection(m.records).length + rng.pick([-1, 1, 1000]), 2 ** 31]);
        return `zstd frame declares ${m.zstdDeclaredSize} bytes`;
      }
      m.baseTimestamp += rng.pick([-1, 1, 1000]);
      what = `baseTimestamp ${m.baseTimestamp}`;
      break;
    default:
      m.producerId = rng.pick([0, 1, 2 ** 40, rng.int(1e6)]);
      m.producerEpoch = rng.pick([0, -1, 1, 32767]);
      m.baseSequence = rng.pick([0, 0, 1, -1, 2 ** 31 - 1]);
      return `producer ${m.producerId} epoch ${m.producerEpoch} sequence ${m.baseSequence}`;
  }
  if (redescribe) describeRecords(m);
  return `${what}${redescribe ? ', header re-described' : ''}`;
}

const FIELDS: Array<[string, number, number]> = Object.entries(BatchField).map(([name, at]) => [name, at, ({ BASE_OFFSET: 8, BASE_TIMESTAMP: 8, MAX_TIMESTAMP: 8, PRODUCER_ID: 8, MAGIC: 1, ATTRIBUTES: 2, PRODUCER_EPOCH: 2 } as Record<string, number>)[name] ?? 4]);

function writeField(b: Uint8Array, at: number, size: number, value: number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (size === 8) v.setBigInt64(at, BigInt(value));
  else if (size === 4) v.setInt32(at, value);
  else if (size === 2) v.setInt16(at, value);
  else v.setInt8(at, value);
}

function setLength(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setInt32(BatchField.BATCH_LENGTH, b.length - 12);
  return b;
}

/** One lie told in the bytes of a built batch. Returns the new bytes. */
function mutateBytes(rng: Rng, b: Uint8Array, log: string[]): Uint8Array {
  if (b.length < 61) {
    log.push('(too short for another mutation)');
    return b;
  }
  const payload = b.length - 61;
  switch (rng.int(7)) {
    case 0: {
      const [name, at, size] = rng.pick(FIELDS);
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const cur = size === 8 ? Number(v.getBigInt64(at)) : size === 4 ? v.getInt32(at) : size === 2 ? v.getInt16(at) : v.getInt8(at);
      const limit = 2 ** (size * 8 - 1);
      const value = Math.max(-limit, Math.min(limit - 1, rng.pick([0, 1, -1, cur - 1, cur + 1, cur + 61, limit - 1, -limit, rng.int(256)])));
      writeField(b, at, size, value);
      log.push(`header ${name} ${cur} -> ${value}`);
      return b;
    }
    case 1: {
      const bit = rng.int(b.length * 8);
      b[bit >> 3]! ^= 1 << (bit & 7);
      log.push(`bit ${bit} flipped`);
      return b;
    }
    case 2: {
      const at = 61 + rng.int(Math.max(1, payload));
      if (at < b.length) b[at] = rng.int(256);
      log.push(`payload byte ${at - 61} set`);
      return b;
    }
    case 3: {
      const cut = rng.int(b.length);
      log.push(`batch cut to ${cut} of ${b.length} bytes`);
      return b.slice(0, cut);
    }
    case 4: {
      const keep = rng.int(payload + 1);
      log.push(`payload cut to ${keep} of ${payload} bytes, batchLength fixed`);
      return setLength(b.slice(0, 61 + keep));
    }
    case 5: {
      const at = 61 + rng.int(payload + 1);
      const extra = rng.bytes(rng.range(1, 8));
      const del = rng.chance(0.5) ? Math.min(rng.range(1, 8), b.length - at) : 0;
      log.push(`payload at ${at - 61}: ${del} bytes removed, ${extra.length} inserted, batchLength fixed`);
      return setLength(Buffer.concat([b.subarray(0, at), extra, b.subarray(at + del)]));
    }
    default: {
      const tail = rng.bytes(rng.range(1, 70));
      log.push(`${tail.length} bytes of garbage after the batch`);
      return Buffer.concat([b, tail]);
    }
  }
}

/** A produced partition's records: valid batches, at most one of them lying. */
export function fuzzCase(rng: Rng, keyed: boolean): FuzzCase {
  const count = rng.chance(0.15) ? rng.range(2, 3) : 1;
  const victim = rng.chance(0.05) ? -1 : rng.int(count);
  const mutations: string[] = [];
  const batches = Array.from({ length: count }, (_, i) => {
    const m = validModel(rng, keyed);
    if (i !== victim) return build(m);
    const original = build(m);
    let b: Uint8Array;
    if (rng.chance(0.6)) {
      for (let k = rng.chance(0.2) ? 2 : 1; k > 0; k--) mutations.push(mutateModel(rng, m));
      b = build(m);
      if (rng.chance(0.1) && b.length >= 61) {
        b.set(original.subarray(BatchField.CRC, BatchField.CRC + 4), BatchField.CRC);
        mutations.push('CRC of the unmutated batch kept');
      }
    } else {
      b = original;
      for (let k = rng.chance(0.2) ? 2 : 1; k > 0; k--) b = mutateBytes(rng, b, mutations);
      if (rng.chance(0.85)) mutations.push(reseal(b) ? 're-sealed' : 'cannot re-seal');
    }
    return b;
  });
  if (count > 1) mutations.unshift(`${count} batches, #${victim} mutated`);
  return { records: Buffer.concat(batches), mutations };
}
