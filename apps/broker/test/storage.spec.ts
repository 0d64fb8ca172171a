import fs = require('node:fs');
import { join } from 'node:path';
import pino from 'pino';
import { buf as portableCrc32c } from 'crc-32/crc32c';
import { BATCH_HEADER_SIZE, crc32c, decodeRecords, iterateBatches, type RecordInput } from '@strata/protocol';
import { TailCache } from '../src/storage/tail-cache';
import { writeFileAtomic } from '../src/util/fs-io';
import { installNativeCrc32c } from '../src/util/native-crc';
import { loadLog, type RecoveryPoint } from '../src/storage/log-loader';
import type { Log, LogConfig } from '../src/storage/log';
import { ManualClock } from '../src/util/clock';
import { batch } from './helpers/wire-client';
import { logConfig } from './helpers/log-config';
import { tempDir } from './helpers/tmp';

const logger = pino({ level: 'silent' });
const config: LogConfig = logConfig();
const dec = new TextDecoder();

function views(bytes: Uint8Array) {
  return [...iterateBatches(bytes)];
}

function recordsOf(bytes: Uint8Array) {
  return views(bytes).flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header));
}

async function open(dir: string, options: { clock?: ManualClock; recoveryPoint?: RecoveryPoint | null; clean?: boolean; cfg?: LogConfig } = {}) {
  return loadLog({
    dir,
    topic: 't',
    partition: 0,
    config: options.cfg ?? config,
    clock: options.clock ?? new ManualClock(),
    logger,
    recoveryPoint: options.recoveryPoint ?? null,
    cleanShutdown: options.clean ?? false,
    maxBatchBytes: 64 * 1024 * 1024,
  });
}

function rec(i: number, size = 100): RecordInput {
  return { key: `k${i}`, value: `v${i}-`.padEnd(size, 'x'), headers: [{ key: 'i', value: String(i) }], timestamp: 1_700_000_000_000 + i };
}

async function appendN(log: Log, from: number, n: number, perBatch = 5): Promise<void> {
  for (let i = from; i < from + n; i += perBatch) {
    const records = Array.from({ length: Math.min(perBatch, from + n - i) }, (_, k) => rec(i + k));
    const r = log.append(views(batch(records)), 0);
    await log.waitWritten(r.endOffset);
  }
}

async function readAll(log: Log, from = 0): Promise<ReturnType<typeof recordsOf>> {
  const out: ReturnType<typeof recordsOf> = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 64 * 1024, true);
    const recs = recordsOf(r.records).filter((x) => x.offset >= offset);
    out.push(...recs);
    offset = recs[recs.length - 1]!.offset + 1;
  }
  return out;
}

describe('Log storage', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('assigns contiguous offsets, rolls segments by size and names them by 20-digit base offset', async () => {
    const { log } = await open(dir);
    await appendN(log, 0, 200);
    expect(log.logEndOffset).toBe(200);
    expect(log.highWatermark).toBe(200);
    expect(log.segments.length).toBeGreaterThan(3);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    expect(files[0]).toBe('00000000000000000000.log');
    for (const [i, s] of log.segments.entries()) {
      expect(files[i]).toBe(String(s.baseOffset).padStart(20, '0') + '.log');
      expect(s.size).toBeLessThanOrEqual(config.segmentBytes);
      expect(fs.statSync(join(dir, files[i]!)).size).toBe(s.size);
    }
    const all = await readAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(all.map((r) => dec.decode(r.key!))).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`));
    await log.close();
  });

  it('serves a read from the middle of a batch, whole batches within maxBytes, and one oversize batch when asked', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20 } });
    await appendN(log, 0, 50, 10);
    const mid = await log.read(13, 1 << 20, true);
    const first = views(mid.records)[0]!;
    expect(first.header.baseOffset).toBe(10);
    const batchBytes = first.bytes.length;
    const limited = await log.read(0, batchBytes * 2 + 10, true);
    expect(views(limited.records)).toHaveLength(2);
    const tiny = await log.read(0, 10, true);
    expect(views(tiny.records)).toHaveLength(1);
    const none = await log.read(0, 10, false);
    expect(none.records.length).toBe(0);
    await expect(log.read(51, 100, true)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect((await log.read(50, 100, true)).records.length).toBe(0);
    await log.close();
  });

  it('never skips to the next segment when a batch does not fit the bytes left (regression: found by the fault harness)', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 2048 } });
    // Segment 0 ends with a large batch; segment 1 starts with small ones.
    const big = log.append(views(batch([{ key: 'big', value: 'B'.repeat(1500), timestamp: 1 }])), 0);
    await log.waitWritten(big.endOffset);
    await appendN(log, 1, 10, 1);
    expect(log.segments.length).toBeGreaterThan(1);
    const first = log.segments[0]!;
    expect(first.baseOffset).toBe(0);
    // Not the first partition of a fetch (minOneBatch false), 600 bytes left: nothing fits.
    const r = await log.read(0, 600, false);
    expect(r.records.length).toBe(0);
    // With room, the big batch comes back, not what follows it.
    const whole = await log.read(0, 600, true);
    expect(views(whole.records)[0]!.header.baseOffset).toBe(0);
    await log.close();
  });

  it('rolls by segment.ms measured on the injected clock', async () => {
    const clock = new ManualClock();
    const { log } = await open(dir, { clock, cfg: { ...config, segmentBytes: 1 << 20 } });
    await appendN(log, 0, 10);
    expect(log.segments).toHaveLength(1);
    clock.advance(config.segmentMs + 1);
    await appendN(log, 10, 5);
    expect(log.segments.map((s) => s.baseOffset)).toEqual([0, 10]);
    await log.close();
  });

  it('reopens after a clean close with the same end offset and no recovery scan', async () => {
    const first = await open(dir);
    await appendN(first.log, 0, 120);
    await first.log.close();
    const again = await open(dir, { clean: true });
    expect(again.stats.recoveredSegments).toBe(0);
    expect(again.log.logEndOffset).toBe(120);
    expect((await readAll(again.log)).length).toBe(120);
    await appendN(again.log, 120, 5);
    expect(again.log.logEndOffset).toBe(125);
    await again.log.close();
  });

  it('truncates a torn tail after a crash and never hands out an offset twice', async () => {
    const { log } = await open(dir);
    await appendN(log, 0, 60);
    await log.flush();
    const active = log.active.logPath;
    const size = fs.statSync(active).size;
    // A crash in the middle of writing the next batch: half of it reached the file.
    const torn = batch([rec(60), rec(61)]);
    fs.appendFileSync(active, torn.subarray(0, torn.length >> 1));
    const { log: recovered, stats } = await open(dir);
    expect(stats.truncatedBytes).toBe(torn.length >> 1);
    expect(fs.statSync(active).size).toBe(size);
    expect(recovered.logEndOffset).toBe(60);
    await appendN(recovered, 60, 5);
    const all = await readAll(recovered);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 65 }, (_, i) => i));
    expect(dec.decode(all[62]!.key!)).toBe('k62');
    await recovered.close();
    await log.deleteFiles().catch(() => undefined);
  });

  it('truncates at the first batch with a bad CRC and drops the segments after it', async () => {
    const { log } = await open(dir);
    await appendN(log, 0, 200);
    await log.close();
    const victim = log.segments[1]!;
    const bytes = fs.readFileSync(victim.logPath);
    const second = views(bytes)[1]!;
    bytes[second.position + 70]! ^= 0xff; // inside the records of the second batch
    fs.writeFileSync(victim.logPath, bytes);
    const { log: recovered, stats } = await open(dir); // not a clean shutdown, no checkpoint: full scan
    expect(recovered.segments).toHaveLength(2);
    expect(recovered.logEndOffset).toBe(second.header.baseOffset);
    expect(stats.deletedSegments).toBe(log.segments.length - 2);
    const all = await readAll(recovered);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: second.header.baseOffset }, (_, i) => i));
    await recovered.close();
  });

  it('rebuilds a damaged index and still finds every offset', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20, indexIntervalBytes: 256 } });
    await appendN(log, 0, 100, 2);
    await log.close();
    const indexPath = log.segments[0]!.offsetIndex.path;
    expect(fs.statSync(indexPath).size).toBeGreaterThan(16);
    fs.writeFileSync(indexPath, Buffer.from([1, 2, 3])); // torn: not a multiple of 8 bytes
    const { log: reopened, stats } = await open(dir, { clean: true, cfg: { ...config, segmentBytes: 1 << 20, indexIntervalBytes: 256 } });
    expect(stats.rebuiltIndexes).toBe(1);
    for (const target of [0, 1, 37, 98, 99]) {
      const r = await reopened.read(target, 600, true);
      const v = views(r.records)[0]!;
      expect(v.header.baseOffset).toBeLessThanOrEqual(target);
      expect(v.header.baseOffset + v.header.lastOffsetDelta).toBeGreaterThanOrEqual(target);
    }
    await reopened.close();
    expect(fs.statSync(indexPath).size % 8).toBe(0);
    expect(fs.statSync(indexPath).size).toBeGreaterThan(16);
  });

  it('recovers only the tail written after the recovery checkpoint', async () => {
    const cfg = { ...config, segmentBytes: 1 << 20 };
    const { log } = await open(dir, { cfg });
    await appendN(log, 0, 500, 5);
    const point = await log.checkpoint();
    await appendN(log, 500, 50, 5);
    await log.flush();
    const { log: recovered, stats } = await open(dir, { cfg, recoveryPoint: point });
    expect(stats.recoveredBatches).toBe(10);
    expect(recovered.logEndOffset).toBe(550);
    const all = await readAll(recovered, 0);
    expect(all).toHaveLength(550);
    expect(dec.decode(all[549]!.key!)).toBe('k549');
    await recovered.close();
    await log.deleteFiles().catch(() => undefined);
  });

  it('finds every offset of an active segment whose index is mostly only in its file, across a crash and a truncation', async () => {
    // An index entry per batch: 1,500 entries, several blocks of which leave memory.
    const cfg = { ...config, segmentBytes: 64 << 20, indexIntervalBytes: 0 };
    const { log } = await open(dir, { cfg });
    await appendN(log, 0, 1000, 1);
    const point = await log.checkpoint();
    await appendN(log, 1000, 500, 1);
    expect(log.active.offsetIndex.entries).toBe(1500);
    expect(log.active.offsetIndex.memoryBytes).toBeLessThan(1500 * 8 / 2);
    expect((await readAll(log)).map((r) => r.offset)).toEqual(Array.from({ length: 1500 }, (_, i) => i));
    await log.flush();

    // Recovery from the checkpoint cuts the index back into a block that was only in the file.
    const { log: recovered, stats } = await open(dir, { cfg, recoveryPoint: point });
    expect(stats.recoveredBatches).toBe(500);
    const all = await readAll(recovered);
    expect(all.map((r) => dec.decode(r.key!))).toEqual(Array.from({ length: 1500 }, (_, i) => `k${i}`));
    const section = (b: Uint8Array) => b.subarray(BATCH_HEADER_SIZE);
    expect(await recovered.offsetForTimestamp(1_700_000_000_000 + 7, section)).toEqual({ offset: 7, timestamp: 1_700_000_000_007 });

    await recovered.truncateTo(300);
    await appendN(recovered, 300, 20, 1);
    expect((await readAll(recovered, 250)).map((r) => r.offset)).toEqual(Array.from({ length: 70 }, (_, i) => 250 + i));
    await recovered.close();
    await log.deleteFiles().catch(() => undefined);
  });

  it('groups the fsyncs of concurrent durable appends', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20 } });
    const spy = jest.spyOn(fs, 'fdatasync');
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) waits.push(log.waitDurable(log.append(views(batch([rec(i)])), 0).endOffset));
    await Promise.all(waits);
    expect(log.syncedEndOffset).toBe(200);
    expect(spy.mock.calls.length).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBeLessThan(20);
    spy.mockRestore();
    await log.close();
  });

  it('fails the writes behind a failed write, rolls back, and reuses the never-acknowledged offsets', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20 } });
    await appendN(log, 0, 10);
    const original = fs.writev;
    const spy = jest.spyOn(fs, 'writev').mockImplementationOnce(((_fd: number, _b: unknown, _p: unknown, cb: (e: Error | null) => void) => {
      cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    }) as unknown as typeof fs.writev);
    const a = log.append(views(batch([rec(10)])), 0);
    const b = log.append(views(batch([rec(11)])), 0);
    await expect(log.waitWritten(a.endOffset, a.generation)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    // b's write never started; asking after the failure still reports it, never a later append.
    await expect(log.waitWritten(b.endOffset, b.generation)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await expect(log.waitDurable(b.endOffset, b.generation)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    spy.mockRestore();
    expect(fs.writev).toBe(original);
    await log.whenIdle();
    expect(log.logEndOffset).toBe(10);
    await appendN(log, 10, 5);
    const all = await readAll(log);
    expect(all.map((r) => dec.decode(r.key!))).toEqual(Array.from({ length: 15 }, (_, i) => `k${i}`));
    await log.close();
  });

  it('finds offsets by timestamp through the time index', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20, indexIntervalBytes: 128 } });
    await appendN(log, 0, 100, 4);
    const section = (b: Uint8Array) => b.subarray(BATCH_HEADER_SIZE);
    expect(await log.offsetForTimestamp(1_700_000_000_000 + 42, section)).toEqual({ offset: 42, timestamp: 1_700_000_000_042 });
    expect(await log.offsetForTimestamp(0, section)).toEqual({ offset: 0, timestamp: 1_700_000_000_000 });
    expect(await log.offsetForTimestamp(1_800_000_000_000, section)).toBeNull();
    await log.close();
  });

  it('truncates to an offset (whole batches) and continues from there', async () => {
    const { log } = await open(dir);
    await appendN(log, 0, 100, 5);
    await log.truncateTo(42);
    expect(log.logEndOffset).toBe(40);
    await appendN(log, 40, 5);
    const all = await readAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 45 }, (_, i) => i));
    expect(dec.decode(all[44]!.key!)).toBe('k44');
    await log.close();
  });
});

describe('tail cache', () => {
  it('holds no more memory than its budget, ring and entries together, however small the batches', () => {
    const cache = new TailCache(64 * 1024);
    const batch = new Uint8Array(10);
    for (let i = 0; i < 50_000; i++) cache.add(i, i + 1, batch);
    expect(cache.memoryBytes).toBeLessThanOrEqual(64 * 1024);
    // Small batches: one entry per 256 bytes of ring, the newest ones.
    expect(cache.heldEntries).toBe(234);
    expect(cache.read(50_000 - 234, 1 << 20, true, 50_000)!.length).toBe(234 * 10);
    expect(cache.read(50_000 - 235, 1 << 20, true, 50_000)).toBeNull();
    // Large batches fill the ring instead.
    const large = new Uint8Array(1000);
    for (let i = 0; i < 500; i++) cache.add(50_000 + i, 50_001 + i, large);
    expect(cache.bytes).toBeGreaterThan(55 * 1000);
    expect(cache.memoryBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('returns what it copies out as a Buffer (pooled, not a fresh allocation per read)', () => {
    const cache = new TailCache(1000);
    cache.add(0, 1, Uint8Array.of(1, 2, 3));
    const out = cache.read(0, 100, true, 1);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect([...out!]).toEqual([1, 2, 3]);
  });

  it('keeps the newest batches in its ring, wrapping around, and returns exactly their bytes', () => {
    const cache = new TailCache(1000);
    const batches: Array<{ base: number; end: number; bytes: Uint8Array }> = [];
    let offset = 0;
    let seed = 3;
    for (let i = 0; i < 300; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const len = 20 + (seed % 180);
      const bytes = Uint8Array.from({ length: len }, (_, k) => (i + k) & 0xff);
      const count = 1 + (seed % 5);
      batches.push({ base: offset, end: offset + count, bytes });
      cache.add(offset, offset + count, bytes);
      offset += count;
      expect(cache.bytes).toBeLessThanOrEqual(1000);
      // Every batch still covered reads back byte for byte; older ones are not covered.
      const oldestCovered = batches.findIndex((b) => cache.read(b.base, 1 << 20, true, offset) !== null);
      for (let j = oldestCovered; j < batches.length; j++) {
        const got = cache.read(batches[j]!.base, batches[j]!.bytes.length, true, offset)!;
        expect(Buffer.from(got)).toEqual(Buffer.from(batches[j]!.bytes));
      }
      if (oldestCovered > 0) expect(cache.read(batches[oldestCovered - 1]!.base, 1 << 20, true, offset)).toBeNull();
    }
    // Reads stop at the high watermark and at maxBytes.
    const last = batches[batches.length - 1]!;
    expect(cache.read(last.base, 1 << 20, true, last.base)!.length).toBe(0);
    expect(cache.read(batches[batches.length - 2]!.base, 1, false, offset)!.length).toBe(0);
    cache.truncateFrom(last.base);
    expect(cache.read(last.base, 1 << 20, true, offset)).toBeNull(); // not covered: read the file
  });

  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('answers reads at the end of the log from memory with exactly the bytes on disk', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20 } });
    log.setTailCacheBytes(4096);
    await appendN(log, 0, 60, 3);
    const spy = jest.spyOn(fs, 'read');
    const fromCache = await log.read(55, 1 << 20, true);
    expect(spy).not.toHaveBeenCalled();
    log.setTailCacheBytes(0);
    const fromFile = await log.read(55, 1 << 20, true);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    expect(Buffer.from(fromCache.records)).toEqual(Buffer.from(fromFile.records));
    expect(recordsOf(fromCache.records).map((r) => r.offset)).toEqual([54, 55, 56, 57, 58, 59]);
    await log.close();
  });

  it('never serves what a failed write took back, nor what is not written yet', async () => {
    const { log } = await open(dir, { cfg: { ...config, segmentBytes: 1 << 20 } });
    log.setTailCacheBytes(1 << 20);
    await appendN(log, 0, 10);
    const spy = jest.spyOn(fs, 'writev').mockImplementationOnce(((_fd: number, _b: unknown, _p: unknown, cb: (e: Error | null) => void) => {
      cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    }) as unknown as typeof fs.writev);
    const failed = log.append(views(batch([{ key: 'lost', value: 'never written' }])), 0);
    // Not written yet: nothing at the end of the log is visible.
    expect((await log.read(10, 1 << 20, true)).records.length).toBe(0);
    await expect(log.waitWritten(failed.endOffset, failed.generation)).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    spy.mockRestore();
    await log.whenIdle();
    await appendN(log, 10, 2);
    const recs = recordsOf((await log.read(10, 1 << 20, true)).records);
    expect(recs.map((r) => dec.decode(r.key!))).toEqual(['k10', 'k11']);
    await log.close();
  });
});

describe('native CRC-32C', () => {
  it('is installed on this platform and agrees with the portable implementation', () => {
    expect(installNativeCrc32c()).toBe(true);
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
    expect(crc32c(big)).toBe(portableCrc32c(big) >>> 0);
  });
});

describe('atomic file replacement', () => {
  it('survives concurrent writers of one file (the last rename wins, no temp file is left)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'state.json');
      await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, JSON.stringify({ i }))));
      expect(JSON.parse(fs.readFileSync(path, 'utf8'))).toHaveProperty('i');
      expect(fs.readdirSync(dir)).toEqual(['state.json']);
    } finally {
      cleanup();
    }
  });
});
