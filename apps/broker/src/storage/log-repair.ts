/**
 * LogRepair: `strata partitions skip-corrupt` — moves a partition past damaged batches.
 *
 * Every segment of the log is scanned in full (scanSegment: CRC and offset continuity, resyncing
 * after damage). Each segment with damage is rewritten with its intact batches only, into
 * `.cleaned` files swapped in exactly like a compaction (crash-safe, recovery points moved first);
 * the original file is kept beside the log as `<name>.log.corrupt-<time>` for forensics (operators
 * remove it). Offsets in a damaged range are gone: consumers reading there continue at the next
 * intact batch, as they do across the gaps compaction leaves. A damaged active segment is rolled
 * first, so it is closed when it is rewritten.
 *
 * The log is marked busy for the cleaner and retention meanwhile. Event loop only.
 */
import * as fs from 'node:fs';
import type { Logger } from 'pino';
import { ERRORS, StrataError } from '@strata/protocol';
import { CLEANED_SUFFIX } from './cleaner-core';
import type { Log } from './log';
import type { LogCleaner } from './log-cleaner';
import { LogSegment } from './segment';
import { scanSegment, type DamagedRange, type SegmentScan } from './segment-scan';

export interface SegmentRepair {
  segment: string;
  damaged: DamagedRange[];
  /** Offsets lost: from the batch after the last good one to the one before the next good one. */
  lostOffsets: Array<{ from: number; to: number }>;
  bytesDropped: number;
  keptAs: string;
}

export interface RepairReport {
  log: string;
  scannedSegments: number;
  repaired: SegmentRepair[];
}

export interface LogRepairOptions {
  cleaner: LogCleaner;
  logger: Logger;
  maxBatchBytes: number;
  now: () => number;
}

export async function repairLog(log: Log, options: LogRepairOptions): Promise<RepairReport> {
  const { cleaner, logger } = options;
  if (log.offline) throw log.offline;
  if (cleaner.busy.has(log)) throw new StrataError(ERRORS.REBALANCE_IN_PROGRESS, `${log.name} is being compacted or repaired right now; try again in a moment`);
  cleaner.busy.add(log);
  try {
    await log.whenIdle();
    const report: RepairReport = { log: log.name, scannedSegments: 0, repaired: [] };
    const scan = async (segment: LogSegment): Promise<SegmentScan> => {
      const i = log.segments.indexOf(segment);
      const next = log.segments[i + 1];
      report.scannedSegments++;
      // An empty segment has nothing to damage (and its file may not exist yet: files open lazily).
      if (segment.writtenSize === 0) return { path: segment.logPath, fileSize: 0, good: [], damaged: [] };
      return scanSegment(segment.logPath, { baseOffset: segment.baseOffset, offsetLimit: next ? next.baseOffset : log.writtenEndOffset, maxBatchBytes: options.maxBatchBytes, end: segment.writtenSize });
    };
    for (const segment of [...log.segments]) {
      let result = await scan(segment);
      if (result.damaged.length === 0) continue;
      if (segment === log.active) {
        log.roll();
        await log.whenIdle();
        result = await scan(segment);
        if (result.damaged.length === 0) continue;
      }
      report.repaired.push(await rewrite(log, segment, result, options));
    }
    for (const r of report.repaired) {
      logger.warn({ log: log.name, segment: r.segment, lostOffsets: r.lostOffsets, bytesDropped: r.bytesDropped, keptAs: r.keptAs }, 'skipped damaged batches');
    }
    return report;
  } finally {
    cleaner.busy.delete(log);
  }
}

async function rewrite(log: Log, segment: LogSegment, scan: SegmentScan, options: LogRepairOptions): Promise<SegmentRepair> {
  const out = new LogSegment({ dir: log.dir, baseOffset: segment.baseOffset, fresh: true, indexIntervalBytes: log.config.indexIntervalBytes, maxBatchBytes: options.maxBatchBytes, fileSuffix: CLEANED_SUFFIX });
  await out.create();
  const keptAs = `${segment.logPath}.corrupt-${options.now()}`;
  await fs.promises.copyFile(segment.logPath, keptAs);
  let written = 0;
  const fd = await fs.promises.open(segment.logPath, 'r');
  try {
    for (const batch of scan.good) {
      const bytes = Buffer.allocUnsafe(batch.size);
      const { bytesRead } = await fd.read(bytes, 0, batch.size, batch.position);
      if (bytesRead !== batch.size) throw new StrataError(ERRORS.KAFKA_STORAGE_ERROR, `${segment.logPath} changed while it was being repaired`);
      out.track(batch.header.baseOffset, batch.size, batch.header.maxTimestamp);
      await out.write([bytes], written, batch.size);
      written += batch.size;
    }
  } finally {
    await fd.close();
  }
  await out.syncAll();
  await out.close();
  for (const index of [out.offsetIndex.path, out.timeIndex.path]) await fs.promises.appendFile(index, new Uint8Array(0)); // exist even when empty
  const next = log.segments[log.segments.indexOf(segment) + 1];
  const segmentEnd = next ? next.baseOffset : log.writtenEndOffset;
  await options.cleaner.swapIn(log, { replaces: [segment.baseOffset], baseOffset: segment.baseOffset, size: written, maxTimestamp: out.maxTimestamp, firstBatchTimestamp: out.firstBatchTimestamp });
  const lostOffsets = scan.damaged.map((d) => ({ from: d.lastGoodOffset >= 0 ? d.lastGoodOffset + 1 : segment.baseOffset, to: (d.nextGoodOffset ?? segmentEnd) - 1 }));
  const kept = scan.good.reduce((n, b) => n + b.size, 0);
  return { segment: segment.logPath, damaged: scan.damaged, lostOffsets, bytesDropped: scan.fileSize - kept, keptAs };
}
