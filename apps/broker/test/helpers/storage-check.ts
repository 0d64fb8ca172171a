/**
 * What the storage fuzzer checks after each damage, through a PartitionReader (a Log loaded by a
 * LogManager, or a live broker over the wire), every read bounded by a timeout:
 * - a consumer's walk from the log start to the high watermark ends, skipping only ranges that
 *   answer an error; every batch served passes its CRC and decodes (decompressed, decodeRecords);
 *   every record served is one that was acknowledged at exactly that offset (or written after the
 *   damage); no read below the high watermark returns nothing (a consumer would spin);
 * - reads from single offsets (around the damage, and a few anywhere) answer records or an error;
 * - every pristine record outside the range the damage touched was read.
 */
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompressSync as snappyUncompress } from 'snappy';
import { BATCH_HEADER_SIZE, decodeRecords, iterateBatches, type BatchView } from '@strata/protocol';
import type { Rng } from './fuzz-random';
import { recordId } from './storage-template';

export interface ReadResult {
  /** Error name, or null. */
  error: string | null;
  records: Uint8Array;
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionReader {
  read(offset: number, maxBytes: number, minOneBatch: boolean): Promise<ReadResult>;
}

export interface Expected {
  /** offset -> record id of every record readable before the damage. */
  pristine: Map<number, string>;
  /** Base offsets of the pristine batches, ascending (where a consumer resumes after an error). */
  batchBases: number[];
  /** True when the damage may have made `offset` unreadable. */
  touched(offset: number): boolean;
  /** Records written after the damage: offset -> record id. */
  written: Map<number, string>;
  /**
   * Records of batches whose baseOffset field the damage changed. The field lies outside the CRC
   * (the broker stamps it without recomputing the CRC, as in Kafka), so a change that keeps the
   * offsets increasing — at the end of the recovered tail, or inside a compaction gap — cannot be
   * told from a real batch there: such records served at the changed offsets are counted, not
   * failed.
   */
  moved: Set<string>;
  stats: { movedServed: number };
}

export class ReadTimeout extends Error {}

export const READ_TIMEOUT_MS = 10_000;

export function bounded<T>(p: Promise<T>, what: string, ms = READ_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ReadTimeout(`${what} did not complete within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function section(codec: number, payload: Uint8Array): Uint8Array {
  if (codec === 1) return gunzipSync(payload);
  if (codec === 2) return snappyUncompress(payload) as Buffer;
  if (codec === 4) return zstdDecompress(payload);
  if (codec === 0) return payload;
  throw new Error(`codec ${codec}`);
}

/** The records of one stored batch as a consumer decodes them: offset and record id. Throws. */
export function batchRecords(view: BatchView): Array<{ offset: number; id: string }> {
  return decodeRecords(section(view.header.attributes & 7, view.bytes.subarray(BATCH_HEADER_SIZE)), view.header).map((r) => ({ offset: r.offset, id: recordId(r.key, r.value) }));
}

/**
 * Checks the bytes of one read; returns the offsets of the records served and the offset after
 * the last batch (null when nothing was served).
 */
export function checkServed(bytes: Uint8Array, from: number, expected: Expected, problems: string[], where: string): { offsets: number[]; next: number | null } {
  const offsets: number[] = [];
  let next: number | null = null;
  try {
    let first = true;
    for (const view of iterateBatches(bytes)) {
      const header = view.header;
      const last = header.baseOffset + header.lastOffsetDelta;
      if (first && last < from) problems.push(`${where}: the first batch served (${header.baseOffset}..${last}) ends before the offset asked for`);
      if (next !== null && header.baseOffset < next) problems.push(`${where}: batch at ${header.baseOffset} does not follow the previous one (next ${next})`);
      first = false;
      for (const r of batchRecords(view)) {
        const id = r.id;
        const want = expected.written.get(r.offset) ?? expected.pristine.get(r.offset);
        if (want !== id && want === undefined && expected.moved.has(id)) expected.stats.movedServed++;
        else if (want !== id) problems.push(`${where}: offset ${r.offset} served ${id.slice(0, 40)}, acknowledged there: ${want?.slice(0, 40) ?? 'nothing'}`);
        offsets.push(r.offset);
      }
      next = last + 1;
    }
  } catch (e) {
    problems.push(`${where}: served bytes a consumer cannot read: ${(e as Error).message}`);
  }
  return { offsets, next };
}

/** A consumer reading from the log start to the high watermark. Returns the offsets it read. */
export async function walk(reader: PartitionReader, expected: Expected, rng: Rng, problems: string[], label: string): Promise<Set<number>> {
  const read = new Set<number>();
  const head = await bounded(reader.read(0, 1, false), `${label} first read`);
  let offset = head.error === 'OFFSET_OUT_OF_RANGE' ? head.logStartOffset : 0;
  let hw = head.highWatermark;
  for (let steps = 0; offset < hw; steps++) {
    if (steps > 5000) {
      problems.push(`${label}: the walk did not reach the high watermark ${hw} after 5000 reads (at ${offset})`);
      break;
    }
    const r = await bounded(reader.read(offset, rng.pick([1, 4096, 1 << 20, 1 << 20]), true), `${label} read at ${offset}`);
    hw = r.highWatermark;
    const where = `${label} walk at ${offset}`;
    if (r.error !== null) {
      if (!expected.touched(offset)) problems.push(`${where}: ${r.error}, but the damage did not touch this offset`);
      const resume = Math.min(expected.batchBases.find((b) => b > offset) ?? Infinity, ...[...expected.written.keys()].filter((o) => o > offset));
      if (resume === Infinity) break;
      offset = resume;
      continue;
    }
    const served = checkServed(r.records, offset, expected, problems, where);
    for (const o of served.offsets) read.add(o);
    if (served.next === null) {
      // Nothing at or after the offset: right only when no record is there to serve (the gap a
      // compaction leaves at the end of a log).
      const missed = [...expected.pristine.keys()].find((o) => o >= offset && o < hw && !expected.touched(o)) ?? [...expected.written.keys()].find((o) => o >= offset && o < hw);
      if (missed !== undefined) problems.push(`${where}: nothing served below the high watermark ${hw} although offset ${missed} is there: a consumer cannot make progress`);
      break;
    }
    offset = Math.max(served.next, offset + 1);
  }
  for (const [o, id] of expected.pristine) {
    if (!expected.touched(o) && !read.has(o)) {
      problems.push(`${label}: offset ${o} (${id.slice(0, 30)}) was not read although the damage did not touch it (high watermark ${hw})`);
      break;
    }
  }
  return read;
}

/** Reads from single offsets; each answers an error or records starting at or containing it. */
export async function probe(reader: PartitionReader, offsets: Iterable<number>, expected: Expected, rng: Rng, problems: string[], label: string): Promise<number[]> {
  const served: number[] = [];
  for (const offset of offsets) {
    const minOne = rng.chance(0.7);
    const r = await bounded(reader.read(offset, rng.pick([1, 100, 4096, 1 << 20]), minOne), `${label} read at ${offset}`);
    const where = `${label} read at ${offset}`;
    const inRange = offset >= r.logStartOffset && offset <= r.highWatermark;
    if (r.error !== null) {
      if (r.error === 'OFFSET_OUT_OF_RANGE' ? inRange : inRange && offset < r.highWatermark && !expected.touched(offset)) problems.push(`${where}: ${r.error} (log ${r.logStartOffset}..${r.highWatermark})`);
      continue;
    }
    if (!inRange) problems.push(`${where}: answered outside the log ${r.logStartOffset}..${r.highWatermark}`);
    const s = checkServed(r.records, offset, expected, problems, where);
    served.push(...s.offsets);
    const missed = [...expected.pristine.keys()].find((o) => o >= offset && o < r.highWatermark && !expected.touched(o));
    if (s.next === null && minOne && missed !== undefined) problems.push(`${where}: nothing served below the high watermark ${r.highWatermark} although offset ${missed} is there`);
  }
  return served;
}
