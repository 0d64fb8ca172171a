/**
 * Offline verification of a data folder (`strata storage verify <data.dir>`): reads everything a
 * broker would trust at start-up and reports what is damaged, without changing a byte.
 *
 * Per partition folder: every segment scanned in full (scanSegment: CRC-32C, offsets continuing,
 * resynchronising after damage), each offset-index entry checked to name the batch that starts at
 * its position, both indexes checked for order, segments checked not to overlap, and after a
 * clean shutdown the last segment's end checked against the recorded log end. Damage at the
 * very end of the last segment is reported as a torn tail (recovery truncates it at the next
 * start); damage anywhere else needs `strata partitions skip-corrupt` once the broker runs.
 * Also checks that the metadata and checkpoint files parse.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_FRAME_BYTES } from '@strata/protocol';
import pino from 'pino';
import { CorruptIndexError } from './index-file';
import type { RecoveryPoint } from './log-loader';
import { parseCheckpoints } from './log-manager';
import { OffsetIndex } from './offset-index';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, parseSegmentFileName, segmentFileName } from './segment';
import { scanSegment, type DamagedRange } from './segment-scan';
import { TimeIndex } from './time-index';

export interface SegmentProblem {
  file: string;
  kind: 'damaged-batches' | 'torn-tail' | 'index' | 'overlap';
  detail: string;
  damaged?: DamagedRange;
}

export interface PartitionVerification {
  partition: string;
  segments: number;
  batches: number;
  bytes: number;
  problems: SegmentProblem[];
}

export interface VerifyReport {
  dataDir: string;
  partitions: PartitionVerification[];
  /** Problems with broker-wide files (metadata.json, checkpoints). */
  fileProblems: string[];
  /** True when a broker seems to be running on the folder (its results may then be in motion). */
  locked: boolean;
  ok: boolean;
}

const silent = pino({ level: 'silent' });
const JSON_FILES = ['metadata.json', 'recovery-checkpoint.json', 'cleaner-offset-checkpoint.json', 'producer-ids.json'];

export async function verifyDataDir(dataDir: string, options: { maxBatchBytes?: number } = {}): Promise<VerifyReport> {
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const names = await fs.promises.readdir(dataDir);
  const report: VerifyReport = { dataDir, partitions: [], fileProblems: [], locked: names.includes('.lock'), ok: true };
  const parsed: Record<string, unknown> = {};
  for (const file of JSON_FILES) {
    if (!names.includes(file)) continue;
    try {
      parsed[file] = JSON.parse(await fs.promises.readFile(join(dataDir, file), 'utf8'));
    } catch (e) {
      report.fileProblems.push(`${file}: ${(e as Error).message}`);
    }
  }
  // After a clean shutdown the checkpoint records where each log ended (see LogManager).
  const clean = names.includes('.clean-shutdown');
  const points = clean ? parseCheckpoints(JSON.stringify(parsed['recovery-checkpoint.json'] ?? {}), silent) : {};
  for (const name of names.sort()) {
    if (!/^.+-\d+$/.test(name)) continue;
    const dir = join(dataDir, name);
    if (!(await fs.promises.stat(dir)).isDirectory()) continue;
    report.partitions.push(await verifyPartition(dir, name, maxBatchBytes, points[name]));
  }
  report.ok = report.fileProblems.length === 0 && report.partitions.every((p) => p.problems.length === 0);
  return report;
}

async function verifyPartition(dir: string, name: string, maxBatchBytes: number, cleanEnd: RecoveryPoint | undefined): Promise<PartitionVerification> {
  const bases = (await fs.promises.readdir(dir))
    .map((n) => parseSegmentFileName(n, LOG_SUFFIX))
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);
  const result: PartitionVerification = { partition: name, segments: bases.length, batches: 0, bytes: 0, problems: [] };
  let previousEnd = -1;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const path = join(dir, segmentFileName(base, LOG_SUFFIX));
    const next = bases[i + 1];
    const scan = await scanSegment(path, { baseOffset: base, offsetLimit: next ?? Number.MAX_SAFE_INTEGER, maxBatchBytes });
    result.batches += scan.good.length;
    result.bytes += scan.fileSize;
    if (base < previousEnd) result.problems.push({ file: path, kind: 'overlap', detail: `starts at offset ${base}, inside the previous segment (which ends at ${previousEnd})` });
    const last = scan.good[scan.good.length - 1];
    previousEnd = last ? last.header.baseOffset + last.header.lastOffsetDelta + 1 : base;
    for (const d of scan.damaged) {
      const torn = next === undefined && d.nextGoodOffset === null && d.toPosition === scan.fileSize;
      result.problems.push({
        file: path,
        kind: torn ? 'torn-tail' : 'damaged-batches',
        detail: `bytes ${d.fromPosition}..${d.toPosition} (${d.reason})${torn ? '; the next start truncates it' : `; offsets after ${d.lastGoodOffset} up to ${d.nextGoodOffset === null ? 'the segment end' : d.nextGoodOffset - 1} are unreadable until skip-corrupt`}`,
        damaged: d,
      });
    }
    if (next === undefined && cleanEnd?.segment === base && previousEnd !== cleanEnd.offset) {
      // Base offsets lie outside the CRC: a moved last batch shows only against the recorded end.
      result.problems.push({ file: path, kind: 'damaged-batches', detail: `the log ends at offset ${previousEnd} but the clean shutdown recorded ${cleanEnd.offset}: a batch's base offset (or the checkpoint) was damaged` });
    }
    const starts = new Map(scan.good.map((b) => [b.position, b.header.baseOffset]));
    const index = new OffsetIndex(join(dir, segmentFileName(base, INDEX_SUFFIX)), base, false);
    const timeIndex = new TimeIndex(join(dir, segmentFileName(base, TIME_INDEX_SUFFIX)), base, false);
    try {
      await index.ensureLoaded();
      await timeIndex.ensureLoaded();
      for (const e of await index.allEntries()) {
        if (starts.get(e.position) !== e.offset) {
          result.problems.push({ file: index.path, kind: 'index', detail: `entry for offset ${e.offset} points at position ${e.position}, where ${starts.has(e.position) ? `offset ${starts.get(e.position)}` : 'no batch'} starts (the broker rebuilds it)` });
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof CorruptIndexError)) throw e;
      result.problems.push({ file: index.path, kind: 'index', detail: `${e.message} (the broker rebuilds it)` });
    }
  }
  return result;
}
