/**
 * One damage per storage-fuzzer case, applied to a copy of a pristine data folder:
 * - a segment `.log` file: cut at a random position or at a batch boundary, bits flipped (anywhere,
 *   or inside one batch header), one batch-header field rewritten (no CRC re-seal: disk damage),
 *   a range overwritten with random bytes or zeros (a lost page), garbage appended;
 * - an `.index` or `.timeindex` file: one entry's field rewritten (sometimes to a plausible value,
 *   another batch's position), cut, garbled, zeroed, deleted, a junk entry appended;
 * - `recovery-checkpoint.json`: bytes flipped, cut, replaced by other JSON, or one field of the
 *   partition's recovery point rewritten.
 * It reports what it did and, for `.log` damage, which pristine batches it changed, cut or removed
 * (by comparing the file with the pristine one), so the checks know which records it touched.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { BatchField } from '@strata/protocol';
import type { Rng } from './fuzz-random';
import { partitionDir, type FuzzTopic, type SegmentLayout, type StoredBatch, type Template } from './storage-template';

export interface Damage {
  what: string;
  topic: FuzzTopic;
  /** Base offset of the damaged segment (`.log` damage only). */
  segment: number | null;
  /** Pristine batches whose bytes changed or were cut short (the file still reaches into them). */
  damaged: StoredBatch[];
  /** Pristine batches now entirely missing (the file was cut before them). */
  removed: StoredBatch[];
  /**
   * Damaged batches whose change shows in more than the partitionLeaderEpoch field (which neither
   * the CRC nor any offset check covers): offline verification must report these.
   */
  detectable: StoredBatch[];
  /** True when the segment file grew past its pristine end (garbage appended). */
  grew: boolean;
  /** Damaged batches whose baseOffset field changed (it lies outside the CRC). */
  offsetMoved: StoredBatch[];
  /** Damaged batches changed only in baseOffset or partitionLeaderEpoch (outside the CRC). */
  outsideCrcOnly: StoredBatch[];
  /** Base offset of the segment whose offset index was damaged. */
  indexOf: number | null;
}

const HEADER_FIELDS = Object.entries(BatchField);
const FIELD_SIZE: Record<string, number> = { BASE_OFFSET: 8, BASE_TIMESTAMP: 8, MAX_TIMESTAMP: 8, PRODUCER_ID: 8, MAGIC: 1, ATTRIBUTES: 2, PRODUCER_EPOCH: 2 };

function setUint(b: Buffer, at: number, size: number, value: number): void {
  if (size === 8) b.writeBigInt64BE(BigInt.asIntN(64, BigInt(value)), at);
  else if (size === 4) b.writeUInt32BE(value >>> 0, at);
  else if (size === 2) b.writeUInt16BE(value & 0xffff, at);
  else b.writeUInt8(value & 0xff, at);
}

function getInt(b: Buffer, at: number, size: number): number {
  return size === 8 ? Number(b.readBigInt64BE(at)) : size === 4 ? b.readInt32BE(at) : size === 2 ? b.readInt16BE(at) : b.readInt8(at);
}

/** Compares the damaged file with the pristine segment: which batches changed, were cut or removed. */
function compare(segment: SegmentLayout, after: Buffer): Pick<Damage, 'damaged' | 'removed' | 'detectable' | 'grew' | 'offsetMoved' | 'outsideCrcOnly'> {
  const offsetMoved: StoredBatch[] = [];
  const outsideCrcOnly: StoredBatch[] = [];
  const damaged: StoredBatch[] = [];
  const removed: StoredBatch[] = [];
  const detectable: StoredBatch[] = [];
  const epoch = BatchField.PARTITION_LEADER_EPOCH;
  for (const b of segment.batches) {
    const now = after.subarray(b.position, b.position + b.size);
    const was = segment.bytes.subarray(b.position, b.position + b.size);
    if (after.length <= b.position) removed.push(b);
    else if (now.length < b.size) {
      damaged.push(b);
      detectable.push(b);
    } else if (Buffer.compare(now, was) !== 0) {
      damaged.push(b);
      if (Buffer.compare(now.subarray(0, 8), was.subarray(0, 8)) !== 0) offsetMoved.push(b);
      if (Buffer.compare(now.subarray(8, 12), was.subarray(8, 12)) === 0 && Buffer.compare(now.subarray(16), was.subarray(16)) === 0) outsideCrcOnly.push(b);
      if (Buffer.compare(now.subarray(0, epoch), was.subarray(0, epoch)) !== 0 || Buffer.compare(now.subarray(epoch + 4), was.subarray(epoch + 4)) !== 0) detectable.push(b);
    }
  }
  return { damaged, removed, detectable, grew: after.length > segment.bytes.length, offsetMoved, outsideCrcOnly };
}

function damageLog(rng: Rng, segment: SegmentLayout, path: string): { what: string; after: Buffer } {
  const b = Buffer.from(segment.bytes);
  const batch = segment.batches.length > 0 ? rng.pick(segment.batches) : null;
  switch (rng.int(6)) {
    case 0: {
      const cut = batch && rng.chance(0.3) ? batch.position : rng.int(b.length);
      fs.truncateSync(path, cut);
      return { what: `cut at ${cut} of ${b.length}`, after: b.subarray(0, cut) };
    }
    case 1: {
      const bits: number[] = [];
      for (let k = rng.range(1, 3); k > 0; k--) {
        const at = batch && rng.chance(0.5) ? batch.position + rng.int(61) : rng.int(b.length);
        const bit = rng.int(8);
        b[at]! ^= 1 << bit;
        bits.push(at * 8 + bit);
      }
      fs.writeFileSync(path, b);
      return { what: `bits ${bits.join(',')} flipped`, after: b };
    }
    case 2: {
      if (!batch) return damageLog(rng, segment, path);
      const [name, at] = rng.pick(HEADER_FIELDS);
      const size = FIELD_SIZE[name] ?? 4;
      const cur = getInt(b, batch.position + at, size);
      const value = rng.pick([cur + 1, cur - 1, 0, -1, cur + 1000, 2 ** (size * 8 - 1) - 1, rng.int(2 ** Math.min(31, size * 8 - 1))]);
      setUint(b, batch.position + at, size, value);
      fs.writeFileSync(path, b);
      return { what: `batch at ${batch.position} (offset ${batch.baseOffset}) ${name} ${cur} -> ${value}`, after: b };
    }
    case 3: {
      const at = rng.int(b.length);
      const length = Math.min(b.length - at, rng.chance(0.3) ? 4096 : rng.range(1, 64));
      const zeros = rng.chance(0.5);
      b.set(zeros ? new Uint8Array(length) : rng.bytes(length), at);
      fs.writeFileSync(path, b);
      return { what: `${length} bytes at ${at} overwritten with ${zeros ? 'zeros' : 'random bytes'}`, after: b };
    }
    case 4: {
      const tail = rng.chance(0.5) ? Buffer.alloc(rng.range(1, 200)) : Buffer.from(rng.bytes(rng.range(1, 200)));
      fs.appendFileSync(path, tail);
      return { what: `${tail.length} bytes of ${tail.every((x) => x === 0) ? 'zeros' : 'garbage'} appended`, after: Buffer.concat([b, tail]) };
    }
    default: {
      // A whole lost write at the end: the last batches' bytes zeroed, the size kept.
      const from = batch ? batch.position : 0;
      b.fill(0, from);
      fs.writeFileSync(path, b);
      return { what: `zeroed from ${from} to the end (${b.length})`, after: b };
    }
  }
}

function damageIndex(rng: Rng, path: string, entrySize: number, segment: SegmentLayout): string {
  const exists = fs.existsSync(path);
  const b = exists ? fs.readFileSync(path) : Buffer.alloc(0);
  const entries = b.length / entrySize;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const op = entries >= 1 ? rng.int(6) : rng.pick([3, 5]);
  switch (op) {
    case 0: {
      const i = rng.int(entries);
      const field = rng.int(2);
      const at = i * entrySize + (field === 0 ? 0 : entrySize - 4);
      const size = entrySize === 12 && field === 0 ? 8 : 4;
      const cur = getInt(b, at, size);
      const plausible = rng.pick(segment.batches.map((x) => (field === 1 || entrySize === 8 ? x.position : x.baseOffset - segment.base)).concat([0]));
      const value = rng.pick([cur + 1, cur - 1, 0, 2 ** 31 - 1, plausible, plausible, rng.int(5000)]);
      setUint(b, at, size, value);
      fs.writeFileSync(path, b);
      return `${name} entry ${i} field ${field} ${cur} -> ${value}`;
    }
    case 1: {
      const cut = rng.int(b.length);
      fs.truncateSync(path, cut);
      return `${name} cut at ${cut} of ${b.length}`;
    }
    case 2: {
      const at = rng.int(b.length);
      const length = Math.min(b.length - at, rng.range(1, 16));
      b.set(rng.bytes(length), at);
      fs.writeFileSync(path, b);
      return `${name}: ${length} bytes at ${at} garbled`;
    }
    case 3:
      fs.rmSync(path, { force: true });
      return `${name} deleted`;
    case 4:
      fs.writeFileSync(path, Buffer.alloc(b.length));
      return `${name} zeroed`;
    default: {
      const junk = Buffer.from(rng.bytes(entrySize));
      fs.appendFileSync(path, junk);
      return `${name}: junk entry ${junk.toString('hex')} appended`;
    }
  }
}

function damageCheckpoint(rng: Rng, dataDir: string, topic: FuzzTopic): string {
  const path = join(dataDir, 'recovery-checkpoint.json');
  const text = fs.readFileSync(path, 'utf8');
  switch (rng.int(4)) {
    case 0: {
      const b = Buffer.from(text);
      for (let k = rng.range(1, 3); k > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      fs.writeFileSync(path, b);
      return `checkpoint bits flipped: ${b.toString('latin1')}`;
    }
    case 1: {
      const cut = rng.int(text.length);
      fs.writeFileSync(path, text.slice(0, cut));
      return `checkpoint cut at ${cut}`;
    }
    case 2: {
      const other = rng.pick(['', '{}', 'null', '[]', '{"version":1,"logs":null}', `{"version":1,"logs":{"${topic}-0":null}}`, `{"version":1,"logs":{"${topic}-0":5}}`, `{"version":1,"logs":{"${topic}-0":{"offset":"x"}}}`, '{"version":2,"logs":{}}']);
      fs.writeFileSync(path, other);
      return `checkpoint replaced by ${JSON.stringify(other)}`;
    }
    default: {
      const parsed = JSON.parse(text) as { logs: Record<string, Record<string, number>> };
      const point = parsed.logs[`${topic}-0`];
      if (!point) return damageCheckpoint(rng, dataDir, topic);
      const field = rng.pick(['offset', 'segment', 'position']);
      const cur = point[field]!;
      point[field] = rng.pick([cur + 1, cur - 1, cur + 10, 0, -1, 2 ** 40, cur + 61, rng.int(cur + 100)]);
      fs.writeFileSync(path, JSON.stringify(parsed));
      return `checkpoint ${topic}-0 ${field} ${cur} -> ${point[field]}`;
    }
  }
}

/** Applies one damage to the copy of `template` at `dataDir`, to `topic`'s files or the checkpoint. */
export function applyDamage(rng: Rng, dataDir: string, template: Template, topic: FuzzTopic): Damage {
  const segments = template.layout[topic];
  const segment = rng.pick(segments);
  const dir = partitionDir(dataDir, topic);
  const roll = rng.int(100);
  if (roll < 5) return { what: 'no damage', topic, segment: null, damaged: [], removed: [], detectable: [], grew: false, offsetMoved: [], outsideCrcOnly: [], indexOf: null };
  if (roll < 62) {
    const { what, after } = damageLog(rng, segment, join(dir, segment.file));
    return { what: `${segment.file}: ${what}`, topic, segment: segment.base, indexOf: null, ...compare(segment, after) };
  }
  if (roll < 90) {
    const time = rng.chance(0.4);
    const path = join(dir, segment.file.replace(/\.log$/, time ? '.timeindex' : '.index'));
    return { what: damageIndex(rng, path, time ? 12 : 8, segment), topic, segment: null, damaged: [], removed: [], detectable: [], grew: false, offsetMoved: [], outsideCrcOnly: [], indexOf: time ? null : segment.base };
  }
  return { what: damageCheckpoint(rng, dataDir, topic), topic, segment: null, damaged: [], removed: [], detectable: [], grew: false, offsetMoved: [], outsideCrcOnly: [], indexOf: null };
}
