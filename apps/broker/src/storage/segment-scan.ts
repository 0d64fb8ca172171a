/**
 * Full scans of segment files, for operators: `strata storage verify` (offline) and
 * `strata partitions skip-corrupt` (online repair).
 *
 * scanSegment() walks a whole `.log` file with CRC checks (a BatchScanner) and, where it meets a
 * damaged batch, resynchronises: it searches forward, byte by byte, for the next position where a
 * whole valid batch starts (magic 2, a believable length, CRC-32C right, offsets after the last
 * good batch and below the segment's limit) and goes on from there. The CRC makes a false match
 * practically impossible. It reports every good batch and every damaged byte range with the
 * offsets on either side, so a repair can keep all that is intact and say exactly what is lost.
 *
 * Reads whole batches into memory one chunk at a time; never changes the file.
 */
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  BatchField,
  RECORD_BATCH_MAGIC,
  lastOffsetOf,
  validateBatch,
  type RecordBatchHeader,
} from '@strata/protocol';
import { closeFile, fstatSize, openFile, readAt } from '../util/fs-io';
import { BatchScanner, CorruptBatchError } from './file-records';

export interface GoodBatch {
  position: number;
  size: number;
  header: RecordBatchHeader;
}

export interface DamagedRange {
  /** File positions [fromPosition, toPosition) hold nothing valid. */
  fromPosition: number;
  toPosition: number;
  /** Last offset of the good batch before the damage (-1: none in this segment). */
  lastGoodOffset: number;
  /** First offset after the damage (null: nothing valid follows in this segment). */
  nextGoodOffset: number | null;
  reason: string;
}

export interface SegmentScan {
  path: string;
  fileSize: number;
  good: GoodBatch[];
  damaged: DamagedRange[];
}

export interface ScanSegmentOptions {
  baseOffset: number;
  /** No offset may reach this (the next segment's base). */
  offsetLimit: number;
  maxBatchBytes: number;
  /** Scan only the first `end` bytes (the active segment's written size). */
  end?: number;
}

const CHUNK = 16 * 1024 * 1024;

export async function scanSegment(path: string, options: ScanSegmentOptions): Promise<SegmentScan> {
  const fd = await openFile(path, 'r');
  try {
    const fileSize = Math.min(await fstatSize(fd), options.end ?? Number.MAX_SAFE_INTEGER);
    const scan: SegmentScan = { path, fileSize, good: [], damaged: [] };
    let position = 0;
    let lastGood = options.baseOffset - 1;
    while (position < fileSize) {
      const scanner = new BatchScanner(fd, { path, start: position, end: fileSize, maxBatchBytes: options.maxBatchBytes, minOffset: lastGood + 1, offsetLimit: options.offsetLimit, verify: true, chunkBytes: CHUNK });
      try {
        for (let batch = await scanner.next(); batch; batch = await scanner.next()) {
          scan.good.push({ position: batch.position, size: batch.size, header: batch.header });
          lastGood = batch.lastOffset;
        }
        position = fileSize;
      } catch (e) {
        if (!(e instanceof CorruptBatchError)) throw e;
        let from = e.position;
        const suspect = scan.good[scan.good.length - 1];
        if (e.previousBatch !== null && suspect?.position === e.previousBatch) {
          // A broken offset chain after a batch that left a gap before itself: its base offset
          // (outside the CRC) may be the damaged one, so it is not kept at the offsets it claims.
          scan.good.pop();
          from = suspect.position;
          const before = scan.good[scan.good.length - 1];
          lastGood = before ? lastOffsetOf(before.header) : options.baseOffset - 1;
        }
        const next = await resync(fd, from + 1, fileSize, lastGood, options);
        scan.damaged.push({
          fromPosition: from,
          toPosition: next?.position ?? fileSize,
          lastGoodOffset: lastGood >= options.baseOffset ? lastGood : -1,
          nextGoodOffset: next?.header.baseOffset ?? null,
          reason: e.reason,
        });
        position = next?.position ?? fileSize;
      }
    }
    return scan;
  } finally {
    await closeFile(fd);
  }
}

/** The first position at or after `from` where a whole valid batch continuing after `lastGood` starts. */
async function resync(fd: number, from: number, fileSize: number, lastGood: number, options: ScanSegmentOptions): Promise<GoodBatch | null> {
  for (let start = from; start + BATCH_HEADER_SIZE <= fileSize; ) {
    const chunk = await readAt(fd, Math.min(CHUNK, fileSize - start), start);
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let p = 0; p + BATCH_HEADER_SIZE <= chunk.length; p++) {
      if (chunk[p + BatchField.MAGIC] !== RECORD_BATCH_MAGIC) continue;
      const size = view.getInt32(p + BatchField.BATCH_LENGTH) + BATCH_LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || size > options.maxBatchBytes || start + p + size > fileSize) continue;
      const bytes = p + size <= chunk.length ? chunk.subarray(p, p + size) : await readAt(fd, size, start + p);
      let header: RecordBatchHeader;
      try {
        header = validateBatch(bytes, 0, bytes.length, options.maxBatchBytes);
      } catch {
        continue;
      }
      if (header.baseOffset > lastGood && lastOffsetOf(header) < options.offsetLimit) return { position: start + p, size, header };
    }
    if (start + chunk.length >= fileSize) break;
    start += chunk.length - BATCH_HEADER_SIZE + 1;
  }
  return null;
}
