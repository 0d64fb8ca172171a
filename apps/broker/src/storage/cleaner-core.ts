/**
 * The compaction algorithm (Kafka's Cleaner): runs inside the cleaner worker thread, on closed
 * segments only, which nobody else writes.
 *
 * 1. Map: read the dirty section from `firstDirtyOffset` (batch by batch) into an OffsetMap of
 *    key -> latest offset, stopping when the map is full or the cleanable segments end. The
 *    map's end (`nextDirtyOffset`) is where the next pass starts: logs with more keys than fit
 *    are cleaned in several passes.
 * 2. Recopy: every cleanable segment that starts below the map's end is rewritten, in groups of
 *    consecutive segments that fit in `segment.bytes`, into `<base>.log.cleaned` (with indexes).
 *    A record is kept unless the map holds a later offset for its key; a tombstone (null value)
 *    is dropped once its timestamp is older than `deleteHorizonMs`. Records keep their offsets
 *    (consumers see gaps) and their order. A batch whose records all stay is copied verbatim; a
 *    batch that loses records is rewritten (gzip and snappy batches recompressed); one that loses all is
 *    dropped. Batches compressed with a codec this broker cannot decode are kept whole.
 *
 * The caller swaps the `.cleaned` segments in (see LogCleaner); until then the log is untouched.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  BATCH_HEADER_SIZE,
  CompressionCodec,
  RecordBatchBuilder,
  compressionOf,
  decodeRecords,
  readBatchHeader,
  stampBatch,
  type CompressionCodecId,
  type DecodedRecord,
  type RecordBatchHeader,
} from '@strata/protocol';
import { compressSection, decompressSection } from '../compression';
import { closeFile, openFile } from '../util/fs-io';
import { BatchScanner } from './file-records';
import { OffsetMap } from './offset-map';
import { LOG_SUFFIX, LogSegment, segmentFileName } from './segment';

export const CLEANED_SUFFIX = '.cleaned';

export interface CleanTask {
  dir: string;
  /** The cleanable segments, oldest first: closed, older than the min compaction lag. */
  segments: Array<{ baseOffset: number; size: number }>;
  firstDirtyOffset: number;
  segmentBytes: number;
  indexIntervalBytes: number;
  deleteHorizonMs: number;
  mapBytes: number;
  /** Largest believable batch (the frame limit). */
  maxBatchBytes: number;
}

export interface CleanedGroup {
  /** Base offsets of the segments this cleaned segment replaces; the first is its own. */
  replaces: number[];
  baseOffset: number;
  size: number;
  maxTimestamp: number;
  firstBatchTimestamp: number;
}

export interface CleanResult {
  groups: CleanedGroup[];
  nextDirtyOffset: number;
  mapEntries: number;
  recordsKept: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

type Section = { header: RecordBatchHeader; bytes: Uint8Array; records: DecodedRecord[] | null };

function records(header: RecordBatchHeader, bytes: Uint8Array): DecodedRecord[] | null {
  const section = decompressSection(compressionOf(header.attributes), bytes.subarray(BATCH_HEADER_SIZE));
  return section === null ? null : decodeRecords(section, header);
}

/** Calls `fn` for every batch of a segment file, in order, validating each (CRC included). */
async function forEachBatch(path: string, size: number, maxBatchBytes: number, fn: (s: Section) => boolean | void): Promise<void> {
  const fd = await openFile(path, 'r');
  try {
    const scanner = new BatchScanner(fd, { path, start: 0, end: size, maxBatchBytes, verify: true, chunkBytes: 8 * 1024 * 1024 });
    for (let batch = await scanner.next(); batch; batch = await scanner.next()) {
      const bytes = await scanner.bytes(batch);
      if (fn({ header: batch.header, bytes, records: records(batch.header, bytes) }) === false) return;
    }
  } finally {
    await closeFile(fd);
  }
}

function segmentPath(dir: string, base: number): string {
  return join(dir, segmentFileName(base, LOG_SUFFIX));
}

/** Step 1: the key map of the dirty section, and where it ends. */
async function buildMap(task: CleanTask, map: OffsetMap): Promise<number> {
  let mapEnd = task.firstDirtyOffset;
  let mappedBatches = 0;
  const capacityLeft = () => Math.floor(map.capacity * 0.9) - map.size;
  for (let i = 0; i < task.segments.length; i++) {
    const seg = task.segments[i]!;
    const next = task.segments[i + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER;
    if (next <= task.firstDirtyOffset) continue;
    let stopped = false;
    await forEachBatch(segmentPath(task.dir, seg.baseOffset), seg.size, task.maxBatchBytes, ({ header, records: recs }) => {
      const last = header.baseOffset + header.lastOffsetDelta;
      if (last < task.firstDirtyOffset) return true;
      if (mappedBatches > 0 && recs && recs.length > capacityLeft()) {
        stopped = true;
        return false;
      }
      if (recs) for (const r of recs) if (r.key !== null) map.put(r.key, r.offset);
      mappedBatches++;
      mapEnd = last + 1;
      return true;
    });
    if (stopped) return mapEnd;
    // The whole segment is mapped: the next pass may start at the next segment.
    if (i + 1 < task.segments.length) mapEnd = Math.max(mapEnd, next);
  }
  return mapEnd;
}

/** Groups consecutive segments starting below `mapEnd` whose sizes add up to `segment.bytes`. */
function groupSegments(task: CleanTask, mapEnd: number): Array<Array<{ baseOffset: number; size: number }>> {
  const groups: Array<Array<{ baseOffset: number; size: number }>> = [];
  let current: Array<{ baseOffset: number; size: number }> = [];
  let bytes = 0;
  for (const seg of task.segments) {
    if (seg.baseOffset >= mapEnd) break;
    const first = current[0];
    if (first && (bytes + seg.size > task.segmentBytes || seg.baseOffset - first.baseOffset > 2 ** 30)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(seg);
    bytes += seg.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Runs a clean: map, then recopy. Writes only `*.cleaned` files. */
export async function clean(task: CleanTask): Promise<CleanResult> {
  const map = new OffsetMap(task.mapBytes);
  const mapEnd = await buildMap(task, map);
  const result: CleanResult = { groups: [], nextDirtyOffset: mapEnd, mapEntries: map.size, recordsKept: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
  for (const group of groupSegments(task, mapEnd)) {
    const base = group[0]!.baseOffset;
    const out = new LogSegment({ dir: task.dir, baseOffset: base, fresh: true, indexIntervalBytes: task.indexIntervalBytes, maxBatchBytes: task.maxBatchBytes, fileSuffix: CLEANED_SUFFIX });
    await out.create(); // even if no record survives: the base offset stays
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let written = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await out.write(pending.splice(0), written, pendingBytes);
      written += pendingBytes;
      pendingBytes = 0;
    };
    const emit = (header: RecordBatchHeader, bytes: Uint8Array) => {
      out.track(header.baseOffset, bytes.length, header.maxTimestamp);
      pending.push(bytes);
      pendingBytes += bytes.length;
    };
    for (const seg of group) {
      result.bytesBefore += seg.size;
      const batches: Array<{ header: RecordBatchHeader; bytes: Uint8Array }> = [];
      await forEachBatch(segmentPath(task.dir, seg.baseOffset), seg.size, task.maxBatchBytes, ({ header, bytes, records: recs }) => {
        if (recs === null) {
          batches.push({ header, bytes: bytes.slice() });
          result.recordsKept += header.recordCount;
          return;
        }
        const kept = recs.filter((r) => {
          if (r.key !== null && map.get(r.key) > r.offset) return false;
          if (r.value === null && r.timestamp < task.deleteHorizonMs) return false;
          return true;
        });
        result.recordsKept += kept.length;
        result.recordsRemoved += recs.length - kept.length;
        if (kept.length === recs.length) batches.push({ header, bytes: bytes.slice() });
        else if (kept.length > 0) batches.push(rewrite(header, kept));
      });
      for (const b of batches) emit(b.header, b.bytes);
      if (pendingBytes > 4 * 1024 * 1024) await flush();
    }
    await flush();
    await out.syncAll();
    await out.close();
    for (const index of [out.offsetIndex.path, out.timeIndex.path]) await fs.promises.appendFile(index, new Uint8Array(0));
    result.bytesAfter += written;
    result.groups.push({ replaces: group.map((g) => g.baseOffset), baseOffset: base, size: written, maxTimestamp: out.maxTimestamp, firstBatchTimestamp: out.firstBatchTimestamp });
  }
  return result;
}

/** A batch holding only `kept`, at their original offsets, in the batch's codec if decodable. */
function rewrite(header: RecordBatchHeader, kept: DecodedRecord[]): { header: RecordBatchHeader; bytes: Uint8Array } {
  const first = kept[0]!.offset;
  const builder = new RecordBatchBuilder({ initialCapacity: 4096, partitionLeaderEpoch: header.partitionLeaderEpoch });
  for (const r of kept) builder.append({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }, r.timestamp, r.offset - first);
  const codec = compressionOf(header.attributes) as CompressionCodecId;
  const bytes = codec === CompressionCodec.None ? builder.build().slice() : builder.buildCompressed(compressSection(codec, builder.recordsSection()), codec);
  stampBatch(bytes, 0, first, header.partitionLeaderEpoch);
  return { header: readBatchHeader(bytes), bytes };
}

/** Removes `*.cleaned` files a clean left behind (it failed or the broker stopped). */
export async function removeCleanedFiles(dir: string): Promise<void> {
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith(CLEANED_SUFFIX)) await fs.promises.rm(join(dir, name), { force: true });
  }
}
