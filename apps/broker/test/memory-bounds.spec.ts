/**
 * Memory at scale (finding 9 of the hardening issue): with 1,000 partitions, what the storage holds
 * per partition stays bounded however much is appended. Counted through the structures' own
 * accessors (Log.memoryUsage), not the process's RSS, so the test is exact and independent of the
 * garbage collector.
 */
import pino from 'pino';
import { iterateBatches, type BatchView } from '@strata/protocol';
import { LogManager, runLimited } from '../src/storage/log-manager';
import type { Log } from '../src/storage/log';
import { ManualClock } from '../src/util/clock';
import { ManualScheduler } from '../src/util/scheduler';
import { batch } from './helpers/wire-client';
import { logConfig } from './helpers/log-config';
import { tempDir } from './helpers/tmp';

const PARTITIONS = 1000;
const TAIL_CACHE_BYTES = 32 * 1024 * 1024;
/**
 * Index memory one partition may hold once its index files caught up: a tail of at most 512
 * entries per index (8 + 12 bytes each) and a summary entry per block of 256. Held whole (and
 * doubled as they grew), the 600 entries of each index here would take 20 KiB.
 */
const INDEX_BYTES_PER_PARTITION = 12 * 1024;
const BATCHES = 600;
/** Producer state of a partition with one idempotent producer (ProducerTable: two slots of 120 bytes). */
const PRODUCER_STATE_BYTES = 256;

describe('storage memory with 1,000 partitions', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('stays within the tail-cache budget plus a fixed amount per partition, however much is appended', async () => {
    const clock = new ManualClock();
    const manager = new LogManager({
      dataDir: dir,
      clock,
      scheduler: new ManualScheduler(clock),
      logger: pino({ level: 'silent' }),
      maxBatchBytes: 1024 * 1024,
      flushIntervalMs: 1000,
      checkpointIntervalMs: 10_000,
      retentionCheckIntervalMs: 300_000,
      fileDeleteDelayMs: 60_000,
      cleanerEnable: false,
      cleanerBackoffMs: 15_000,
      cleanerDedupeBufferSize: 1024 * 1024,
      maxOpenFiles: 1000,
      tailCacheBytes: TAIL_CACHE_BYTES,
      inlineWriteMaxBytes: 0,
    });
    await manager.open();
    // Default segment size (nothing rolls); an index entry for every batch, the densest there is.
    const config = logConfig({ segmentBytes: 1024 * 1024 * 1024, indexIntervalBytes: 0 });
    const logs: Log[] = new Array<Log>(PARTITIONS);
    await runLimited(
      Array.from({ length: PARTITIONS }, (_, p) => async () => void (logs[p] = await manager.loadLog('m', p, config))),
      32,
    );
    // One idempotent producer writing to every partition, and a timestamp per batch (so that the
    // time index grows as fast as the offset index).
    const templates = Array.from(
      { length: BATCHES },
      (_, i) => [...iterateBatches(batch([{ value: 'v'.repeat(100), timestamp: 1_700_000_000_000 + i }], { producerId: 7, producerEpoch: 0, baseSequence: i }))][0]!,
    );
    const copy = (i: number): BatchView => ({ ...templates[i]!, bytes: templates[i]!.bytes.slice() }); // append stamps in place

    const held = () => {
      const total = { tailCache: 0, indexes: 0, producerState: 0 };
      for (const log of logs) {
        const u = log.memoryUsage();
        total.tailCache += u.tailCache;
        total.indexes += u.indexes;
        total.producerState += u.producerState;
      }
      return total;
    };
    let appended = 0;
    /** Appends up to `end` batches per partition, 100 at a time, then lets the index files catch up (as a checkpoint would). */
    const appendUpTo = async (end: number) => {
      for (; appended < end; appended += 100) {
        for (const log of logs) for (let k = 0; k < 100; k++) log.append([copy(appended + k)], 0);
        await Promise.all(logs.map((log) => log.whenIdle()));
      }
      await Promise.all(logs.map((log) => Promise.all([log.active.offsetIndex.flush(), log.active.timeIndex.flush()])));
    };

    for (const end of [300, BATCHES]) {
      await appendUpTo(end);
      const usage = held();
      expect(usage.tailCache).toBeLessThanOrEqual(TAIL_CACHE_BYTES);
      expect(usage.tailCache).toBeGreaterThan(TAIL_CACHE_BYTES / 2); // every log got its share, and uses it
      expect(usage.indexes).toBeLessThanOrEqual(PARTITIONS * INDEX_BYTES_PER_PARTITION);
      // The producer's last five batches, in fixed bytes, however many it wrote.
      expect(usage.producerState).toBeGreaterThan(0);
      expect(usage.producerState).toBeLessThanOrEqual(PARTITIONS * PRODUCER_STATE_BYTES);
    }
    expect(logs.every((log) => log.logEndOffset === BATCHES && log.segments.length === 1 && log.active.timeIndex.entries === BATCHES)).toBe(true);
    await runLimited(
      logs.map((log) => () => log.deleteFiles()), // closes without a checkpoint's fsyncs
      32,
    );
  });
});
