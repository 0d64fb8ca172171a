/**
 * LogLoader: opens one partition's folder at start-up and returns a consistent Log, in passes:
 *
 *  0. finish or undo an interrupted cleaner swap (see LogCleaner): with a `.swapinfo` and all
 *     three `.swap` files, complete it; with any `.cleaned` file left, undo it;
 *  1. remove leftovers: `*.tmp` files, `*.deleted` files (segments removed by retention or
 *     replaced by the cleaner, waiting for their delay), and index files whose `.log` is gone;
 *  2. list segments by base offset (file name, 20 digits);
 *  3. load segments below the recovery point: file size, index sanity, and a walk of the batches
 *     after the last index entry (offsets continuing, within the next segment's base; for the
 *     last segment CRCs too). A closed segment whose index is damaged gets it rebuilt; a damaged
 *     batch in a closed segment is reported and kept (its range answers CORRUPT_MESSAGE until an
 *     operator skips it): acknowledged data is never cut because one bit flipped before it;
 *  4. recover the tail: from the recovery checkpoint's position (or the start of the log when
 *     there is no checkpoint), validate every batch (CRC, lengths, offsets continuing), rebuild
 *     index entries, truncate at the first invalid batch and delete any segment after it.
 *
 * After a clean shutdown (the `.clean-shutdown` marker exists) the recovery point is the log end
 * and pass 4 reads nothing, unless the active segment's size differs from the recorded point or
 * its tail fails the walk of pass 3: the marker is not trusted blindly. Recovery therefore reads
 * only what was written after the last checkpoint, however large the log.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../util/clock';
import { listDir } from '../util/fs-io';
import { systemScheduler, type Scheduler } from '../util/scheduler';
import { CorruptBatchError } from './file-records';
import type { FilePool } from './file-pool';
import type { InlineWrites } from './inline-writes';
import { CorruptIndexError } from './index-file';
import { Log, type LogConfig, type LogEvents } from './log';
import { CLEANED_SUFFIX } from './cleaner-core';
import { SWAPINFO_SUFFIX, SWAP_SUFFIX } from './log-cleaner';
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX, parseSegmentFileName, segmentFileName, type IndexEntry } from './segment';

export interface RecoveryPoint {
  /** Offset up to which the log and its indexes were fsynced. */
  offset: number;
  /** Base offset of the segment that held the log end at the checkpoint. */
  segment: number;
  /** Byte position in that segment where the checkpointed data ends. */
  position: number;
}

export interface LoadLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock: Clock;
  logger: Logger;
  /** null: recover the whole log (no checkpoint, or the checkpoint is not trusted). */
  recoveryPoint: RecoveryPoint | null;
  cleanShutdown: boolean;
  /** Largest believable batch (the frame limit). */
  maxBatchBytes: number;
  logStartOffset?: number;
  /** Bounds open segment files across logs. */
  pool?: FilePool;
  /** When small appends are written synchronously (default: never). */
  inline?: InlineWrites;
  /** Delayed work of the log (default: real timers). */
  scheduler?: Scheduler;
  events?: LogEvents;
}

export interface LoadLogStats {
  recoveredSegments: number;
  recoveredBatches: number;
  truncatedBytes: number;
  deletedSegments: number;
  rebuiltIndexes: number;
  /** Closed segments with a damaged batch (kept, reported). */
  corruptSegments: number;
}

export async function loadLog(options: LoadLogOptions): Promise<{ log: Log; stats: LoadLogStats }> {
  const { dir, config, logger } = options;
  await fs.promises.mkdir(dir, { recursive: true });
  const stats: LoadLogStats = { recoveredSegments: 0, recoveredBatches: 0, truncatedBytes: 0, deletedSegments: 0, rebuiltIndexes: 0, corruptSegments: 0 };

  // Pass 0: finish or undo a cleaner swap interrupted by a crash.
  await resolveSwaps(dir, logger);

  // Pass 1: leftovers.
  const names = await listDir(dir);
  const bases = new Set<number>();
  for (const name of names) {
    const base = parseSegmentFileName(name, LOG_SUFFIX);
    if (base !== null) bases.add(base);
  }
  for (const name of names) {
    if (name.endsWith('.tmp') || name.endsWith('.deleted')) {
      await fs.promises.rm(join(dir, name), { force: true });
      continue;
    }
    const idx = parseSegmentFileName(name, INDEX_SUFFIX) ?? parseSegmentFileName(name, TIME_INDEX_SUFFIX);
    if (idx !== null && !bases.has(idx)) await fs.promises.rm(join(dir, name), { force: true });
  }

  // Pass 2: segments.
  const sorted = [...bases].sort((a, b) => a - b);
  if (sorted.length === 0) sorted.push(options.logStartOffset ?? 0);
  const pool = options.pool ? { pool: options.pool } : {};
  const segments = sorted.map(
    (base) => new LogSegment({ dir, baseOffset: base, fresh: !bases.has(base), indexIntervalBytes: config.indexIntervalBytes, maxBatchBytes: options.maxBatchBytes, ...pool }),
  );
  const limitOf = (i: number) => segments[i + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER;

  // Which segment recovery starts in, and where. A clean shutdown's point is the log end, so
  // nothing is recovered unless the active segment's file does not end where the point says.
  // A new log (no segment file yet) has nothing to load or recover.
  let recoverFrom = bases.size === 0 ? { index: segments.length, position: 0, offset: 0 } : await recoveryStart(segments, options, logger);

  // Pass 3: segments before the recovery point are trusted, but not blindly: each one's indexes
  // are checked and the batches after its last index entry walked (CRC included for the last
  // segment, whose tail a clean-shutdown marker does not prove whole).
  let nextOffset = segments[0]!.baseOffset;
  /** Index entries of a cleanly closed active segment whose tail must be recovered. */
  let witnesses: IndexEntry[] | undefined;
  /** The log end a clean shutdown recorded, when the active segment's batches claim more. */
  let expectedEnd: number | undefined;
  for (let i = 0; i < Math.min(recoverFrom.index, bases.size === 0 ? 0 : segments.length); i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    try {
      nextOffset = await segment.loadClean(limitOf(i), last);
      const rp = options.recoveryPoint;
      if (last && options.cleanShutdown && rp?.segment === segment.baseOffset && nextOffset > rp.offset) {
        // The batches claim offsets past the log end the clean shutdown recorded: a base offset
        // (outside the CRC) may have moved. Recovery keeps such a batch only if it continues the
        // offsets before it (else it is the moved one).
        throw new CorruptBatchError(segment.logPath, rp.position, `the batches end at offset ${nextOffset}, past the log end ${rp.offset} recorded at the clean shutdown`);
      }
    } catch (e) {
      if (e instanceof CorruptBatchError && last) {
        // The active segment's tail is torn or damaged: recover it from its start.
        logger.warn({ segment: segment.logPath, position: e.position, reason: e.reason }, 'the log tail is damaged although the broker stopped cleanly; recovering it');
        recoverFrom = { index: i, position: 0, offset: segment.baseOffset };
        // Its index was fsynced at the clean shutdown: its entries witness base offsets, which the
        // CRC does not cover (a moved first batch used to move the log end with it).
        witnesses = segment.offsetIndex.isLoaded ? await segment.offsetIndex.allEntries() : undefined;
        if (options.cleanShutdown && options.recoveryPoint?.segment === segment.baseOffset) expectedEnd = options.recoveryPoint.offset;
        break;
      }
      if (!(e instanceof CorruptIndexError) && !(e instanceof CorruptBatchError)) throw e;
      // A closed segment: rebuild its indexes up to any damage, but never cut acknowledged data.
      // Reads of a damaged range fail with CORRUPT_MESSAGE until an operator skips it.
      const r = await segment.recover(0, segment.baseOffset, { offsetLimit: limitOf(i), truncate: false });
      stats.rebuiltIndexes++;
      if (r.invalid) {
        stats.corruptSegments++;
        logger.error(
          { segment: segment.logPath, position: r.invalid.position, reason: r.invalid.reason, validUpToOffset: r.nextOffset },
          'damaged batch in a closed segment: reads from here fail with CORRUPT_MESSAGE until "strata partitions skip-corrupt" moves past it',
        );
      } else {
        logger.warn({ segment: segment.logPath, reason: (e as Error).message }, 'rebuilt a damaged segment index');
      }
      nextOffset = r.invalid ? limitOf(i) : r.nextOffset;
    }
  }

  // Pass 4: the unflushed tail, truncated at the first invalid batch.
  for (let i = recoverFrom.index; i < segments.length; i++) {
    const segment = segments[i]!;
    let position = i === recoverFrom.index ? recoverFrom.position : 0;
    let from = i === recoverFrom.index && position > 0 ? recoverFrom.offset : segment.baseOffset;
    if (position > 0 && !(await segment.batchBoundaryAt(position))) {
      // The checkpoint's position is not a batch boundary of this file (e.g. the cleaner replaced
      // the segment since): scan the whole segment rather than truncate valid data there.
      logger.warn({ segment: segment.logPath, position }, 'recovery point is not a batch boundary; scanning the whole segment');
      position = 0;
      from = segment.baseOffset;
    }
    if (position > 0) {
      try {
        await segment.restoreBefore(position);
      } catch (e) {
        if (!(e instanceof CorruptIndexError)) throw e;
        stats.rebuiltIndexes++;
        position = 0;
        from = segment.baseOffset;
      }
    }
    if (position > 0) {
      // The checkpoint's offset is only a hint: the batches before its position decide. Trusting a
      // damaged file's offset would put the log end past the data (reads below the high watermark
      // returning nothing) or before it (the next produce reusing an offset already readable);
      // found by the storage fuzzer (test/fuzz-storage.spec.ts).
      const next = await segment.offsetAt(position);
      if (next === null) {
        logger.warn({ segment: segment.logPath, position }, 'the batches before the recovery point do not check out; scanning the whole segment');
        position = 0;
        from = segment.baseOffset;
      } else if (next !== from) {
        logger.warn({ segment: segment.logPath, position, recorded: from, actual: next }, 'the recovery checkpoint names another offset than its batches; using the batches');
        from = next;
      }
    }
    const r = await segment.recover(position, from, { offsetLimit: limitOf(i), truncate: true, ...(witnesses ? { witnesses } : {}), ...(expectedEnd !== undefined ? { expectedEnd } : {}) });
    stats.recoveredSegments++;
    stats.recoveredBatches += r.batches;
    stats.truncatedBytes += r.truncatedBytes;
    nextOffset = r.nextOffset;
    if (r.truncatedBytes > 0) {
      logger.warn(
        { segment: segment.logPath, position: r.invalid?.position, reason: r.invalid?.reason, truncatedBytes: r.truncatedBytes, nextOffset },
        'truncated invalid tail of the log',
      );
      stats.deletedSegments += await deleteFrom(segments, i + 1);
      break;
    }
  }
  if (stats.recoveredSegments > 0) {
    // Recovered bytes were only in the page cache or on disk unsynced; make them durable before
    // the log end counts as flushed.
    for (const s of segments) await s.syncAll();
  }
  const logStartOffset = Math.max(options.logStartOffset ?? 0, segments[0]!.baseOffset);
  segments.forEach((s, i) => (i === segments.length - 1 ? s.unseal() : s.seal()));
  const log = new Log({
    dir,
    topic: options.topic,
    partition: options.partition,
    config,
    clock: options.clock,
    scheduler: options.scheduler ?? systemScheduler,
    logger,
    segments,
    logEndOffset: nextOffset,
    logStartOffset,
    maxBatchBytes: options.maxBatchBytes,
    pool: options.pool ?? null,
    ...(options.inline ? { inline: options.inline } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  await log.loadProducerState();
  return { log, stats };
}

/**
 * Where recovery starts: after a clean shutdown, nowhere (the whole log was flushed) unless the
 * active segment's file size differs from the recorded point; else at the recovery checkpoint,
 * or at the start of the log without one.
 */
async function recoveryStart(segments: LogSegment[], options: LoadLogOptions, logger: Logger): Promise<{ index: number; position: number; offset: number }> {
  const rp = options.recoveryPoint;
  const lastIndex = segments.length - 1;
  const active = segments[lastIndex]!;
  if (options.cleanShutdown) {
    if (rp && rp.segment === active.baseOffset) {
      const size = await fileSize(active.logPath);
      if (size === rp.position) return { index: segments.length, position: 0, offset: 0 };
      logger.warn({ segment: active.logPath, size, recorded: rp.position }, 'the active segment changed size after a clean shutdown; recovering it');
      return size > rp.position ? { index: lastIndex, position: rp.position, offset: rp.offset } : { index: lastIndex, position: 0, offset: active.baseOffset };
    }
    return { index: segments.length, position: 0, offset: 0 };
  }
  if (rp && segments.some((s) => s.baseOffset === rp.segment)) {
    return { index: segments.findIndex((s) => s.baseOffset === rp.segment), position: rp.position, offset: rp.offset };
  }
  return { index: 0, position: 0, offset: segments[0]!.baseOffset };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await fs.promises.stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/**
 * A `<base>.swapinfo` file means a cleaner swap was under way. If any of the base segment's
 * cleaned files is still named `.cleaned`, the renames to `.swap` had not finished: the old
 * segments are intact, so the clean is undone. Otherwise the cleaned segment replaces the old
 * ones: `.swap` files take the final names and the other replaced segments are removed.
 */
async function resolveSwaps(dir: string, logger: Logger): Promise<void> {
  const names = await listDir(dir);
  for (const info of names.filter((n) => n.endsWith(SWAPINFO_SUFFIX))) {
    const base = info.slice(0, -SWAPINFO_SUFFIX.length);
    const raw = await fs.promises.readFile(join(dir, info), 'utf8').catch(() => null);
    const replaces = raw ? ((JSON.parse(raw) as { replaces: number[] }).replaces ?? []) : []; // our own file, written atomically
    const cleaned = names.filter((n) => n.startsWith(base) && n.endsWith(CLEANED_SUFFIX));
    if (raw === null || cleaned.length > 0) {
      for (const n of names.filter((x) => x.startsWith(base) && (x.endsWith(CLEANED_SUFFIX) || x.endsWith(SWAP_SUFFIX)))) await fs.promises.rm(join(dir, n), { force: true });
      logger.warn({ dir, segment: base }, 'undid an interrupted log clean');
    } else {
      for (const sfx of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
        const swap = join(dir, base + sfx + SWAP_SUFFIX);
        if (names.includes(base + sfx + SWAP_SUFFIX)) await fs.promises.rename(swap, join(dir, base + sfx));
      }
      for (const b of replaces.slice(1)) {
        for (const sfx of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) await fs.promises.rm(join(dir, segmentFileName(b, sfx)), { force: true });
      }
      logger.warn({ dir, segment: base, replaced: replaces.length }, 'completed an interrupted log clean');
    }
    await fs.promises.rm(join(dir, info), { force: true });
  }
  for (const n of await listDir(dir)) {
    if (n.endsWith(CLEANED_SUFFIX) || n.endsWith(SWAP_SUFFIX)) await fs.promises.rm(join(dir, n), { force: true });
  }
}

async function deleteFrom(segments: LogSegment[], index: number): Promise<number> {
  const removed = segments.splice(index);
  for (const s of removed) await s.deleteFiles();
  return removed.length;
}
