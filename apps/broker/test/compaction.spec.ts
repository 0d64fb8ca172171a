import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { BATCH_HEADER_SIZE, ErrorCode, decodeRecords, iterateBatches } from '@strata/protocol';
import { Broker, ManualClock } from '../src';
import { clean } from '../src/storage/cleaner-core';
import type { Log } from '../src/storage/log';
import { LogCleaner } from '../src/storage/log-cleaner';
import { loadLog } from '../src/storage/log-loader';
import { logConfig } from './helpers/log-config';
import { tempDir } from './helpers/tmp';
import { WireClient, batch, createTopic, produce } from './helpers/wire-client';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const dec = new TextDecoder();

interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
}

async function readLog(log: Log): Promise<Rec[]> {
  const out: Rec[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, 1 << 20, true);
    if (r.records.length === 0) break;
    for (const v of iterateBatches(r.records)) {
      for (const rec of decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header)) {
        if (rec.offset < offset) continue;
        out.push({ offset: rec.offset, key: rec.key && dec.decode(rec.key), value: rec.value && dec.decode(rec.value) });
      }
      offset = v.header.baseOffset + v.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

/** What compaction must keep: the latest record of each key, at its original offset. */
function latest(written: Rec[]): Map<string, Rec> {
  const m = new Map<string, Rec>();
  for (const r of written) m.set(r.key!, r);
  return m;
}

describe('log compaction', () => {
  let dir: string;
  let cleanup: () => void;
  let clock: ManualClock;
  let broker: Broker;
  let client: WireClient;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    clock = new ManualClock(T0);
    broker = await Broker.start({ dataDir: dir, port: 0, clock, config: { 'file.delete.delay.ms': 0, 'log.cleaner.enable': false } });
    client = await WireClient.connect(broker.url);
  });
  afterEach(async () => {
    await client.close();
    await broker.close();
    cleanup();
  });

  async function writeVersions(topic: string, keys: number, versions: number, tombstones: Set<number> = new Set(), prefix = 'k'): Promise<Rec[]> {
    const written: Rec[] = [];
    for (let v = 0; v < versions; v++) {
      for (let k = 0; k < keys; k++) {
        const value = v === versions - 1 && tombstones.has(k) ? null : `${prefix}${k}-v${v}-${'x'.repeat(60)}`;
        const offset = await produce(client, topic, 0, [{ key: `${prefix}${k}`, value, timestamp: clock.now() }]);
        written.push({ offset, key: `${prefix}${k}`, value });
      }
    }
    return written;
  }

  it('keeps the latest record of every key at its original offset, in order, and drops the rest', async () => {
    await createTopic(client, 'kv', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '4096' });
    const written = await writeVersions('kv', 20, 6);
    const log = broker.topics.get('kv')!.partitions[0]!.log;
    const before = await readLog(log);
    const stats = await broker.logs.cleaner.cleanLog(log);
    expect(stats!.recordsRemoved).toBeGreaterThan(0);
    const after = await readLog(log);
    const cleanEnd = log.active.baseOffset;
    const want = latest(written.filter((r) => r.offset < cleanEnd));
    const cleaned = after.filter((r) => r.offset < cleanEnd);
    // Every key's latest record in the cleaned part is there, unchanged, at its offset...
    for (const r of want.values()) expect(cleaned).toContainEqual(r);
    // ...and nothing older than a later record of the same key in the cleaned part.
    for (const r of cleaned) {
      const newest = written.filter((w) => w.key === r.key && w.offset < cleanEnd).at(-1)!;
      expect(r.offset).toBe(newest.offset);
    }
    expect(after.map((r) => r.offset)).toEqual([...after.map((r) => r.offset)].sort((a, b) => a - b));
    expect(after.filter((r) => r.offset >= cleanEnd)).toEqual(before.filter((r) => r.offset >= cleanEnd)); // the active segment is untouched
    expect(log.logEndOffset).toBe(written.length);
    // A consumer reading from 0 walks over the gaps.
    const res = await client.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [{ name: 'kv', partitions: [{ partition: 0, fetchOffset: 1, partitionMaxBytes: 1 << 20 }] }] });
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(readdirSync(join(dir, 'kv-0')).filter((f) => f.endsWith('.cleaned') || f.endsWith('.swap') || f.endsWith('.swapinfo'))).toEqual([]);
  });

  it('keeps tombstones for delete.retention.ms and then removes them', async () => {
    await createTopic(client, 'tomb', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '2048', 'delete.retention.ms': String(DAY) });
    await writeVersions('tomb', 5, 3, new Set([1, 3]));
    await writeVersions('tomb', 2, 8, new Set(), 'filler'); // roll the tombstones into closed segments
    const log = broker.topics.get('tomb')!.partitions[0]!.log;
    await broker.logs.cleaner.cleanLog(log);
    const kept = await readLog(log);
    expect(kept.filter((r) => r.value === null).map((r) => r.key).sort()).toEqual(['k1', 'k3']);
    clock.advance(DAY + 1);
    await broker.logs.cleaner.cleanLog(log);
    const later = await readLog(log);
    expect(later.filter((r) => r.value === null)).toEqual([]);
    expect(later.some((r) => r.key === 'k1')).toBe(false);
    expect(later.find((r) => r.key === 'k0')!.value).toMatch(/^k0-v2/);
  });

  it('cleans in several passes when there are more keys than its memory holds', async () => {
    await broker.close();
    broker = await Broker.start({ dataDir: dir, port: 0, clock, config: { 'file.delete.delay.ms': 0, 'log.cleaner.enable': false, 'log.cleaner.dedupe.buffer.size': 65536 } });
    await client.close();
    client = await WireClient.connect(broker.url);
    await createTopic(client, 'many', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '65536' });
    const keys = 6000;
    const written: Rec[] = [];
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < keys; k += 100) {
        const recs = Array.from({ length: 100 }, (_, i) => ({ key: `key-${k + i}`, value: `r${round}`, timestamp: T0 }));
        const base = await produce(client, 'many', 0, recs);
        recs.forEach((r, i) => written.push({ offset: base + i, key: r.key, value: r.value }));
      }
    }
    await produce(client, 'many', 0, Array.from({ length: 1000 }, (_, i) => ({ key: `tail-${i}`, value: 'x'.repeat(80) })));
    const log = broker.topics.get('many')!.partitions[0]!.log;
    let passes = 0;
    for (;;) {
      const stats = await broker.logs.cleaner.cleanLog(log);
      passes++;
      if (!stats || broker.logs.cleaner.firstDirtyOffset(log) >= log.active.baseOffset || passes > 20) break;
    }
    expect(passes).toBeGreaterThan(1);
    const cleanEnd = log.active.baseOffset;
    const after = (await readLog(log)).filter((r) => r.offset < cleanEnd && r.key!.startsWith('key-'));
    expect(after).toHaveLength(keys);
    expect(after.every((r) => r.value === 'r1')).toBe(true);
  });

  it('refuses records without a key on a compacted topic', async () => {
    await createTopic(client, 'keys', 1, { 'cleanup.policy': 'compact' });
    const res = await client.request('Produce', { acks: 1, timeoutMs: 1000, topics: [{ name: 'keys', partitions: [{ partition: 0, records: batch([{ key: 'a', value: '1' }, { key: null, value: '2' }]) }] }] });
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
  });
});

describe('compaction crash safety', () => {
  const logger = pino({ level: 'silent' });
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  /** A log with 6 closed segments of 10 keys x 3 versions, and the cleaned files of a clean. */
  async function prepared() {
    const cfg = logConfig({ segmentBytes: 2048, compact: true });
    const clock = new ManualClock(T0);
    const { log } = await loadLog({ dir, topic: 't', partition: 0, config: cfg, clock, logger, recoveryPoint: null, cleanShutdown: false, maxBatchBytes: 1 << 26 });
    for (let v = 0; v < 4; v++) {
      for (let k = 0; k < 10; k++) {
        const r = log.append([...iterateBatches(batch([{ key: `k${k}`, value: `v${v}-${'y'.repeat(100)}`, timestamp: T0 }]))], 0);
        await log.waitWritten(r.endOffset);
      }
    }
    const before = await readLog(log);
    const closed = log.segments.slice(0, -1).map((s) => ({ baseOffset: s.baseOffset, size: s.size }));
    const result = await clean({ dir: join(dir), segments: closed, firstDirtyOffset: 0, segmentBytes: 1 << 20, indexIntervalBytes: 512, deleteHorizonMs: 0, mapBytes: 1 << 20, maxBatchBytes: 1 << 26 });
    await log.close();
    return { cfg, clock, before, result };
  }

  async function reopen(cfg: ReturnType<typeof logConfig>, clock: ManualClock) {
    const { log } = await loadLog({ dir, topic: 't', partition: 0, config: cfg, clock, logger, recoveryPoint: null, cleanShutdown: false, maxBatchBytes: 1 << 26 });
    const recs = await readLog(log);
    await log.close();
    return recs;
  }

  const names = (base: number) => ['.log', '.index', '.timeindex'].map((s) => join(dir, String(base).padStart(20, '0') + s));

  it('recovers a cleaned segment whole when a recovery point still names its old byte position (regression: found by the fault harness)', async () => {
    const cfg = logConfig({ segmentBytes: 2048, compact: true });
    const clock = new ManualClock(T0);
    const { log } = await loadLog({ dir, topic: 't', partition: 0, config: cfg, clock, logger, recoveryPoint: null, cleanShutdown: false, maxBatchBytes: 1 << 26 });
    const write = async (k: number, v: number) => {
      const r = log.append([...iterateBatches(batch([{ key: `k${k}`, value: `v${v}-${'z'.repeat(100)}`, timestamp: T0 }]))], 0);
      await log.waitWritten(r.endOffset);
    };
    for (let v = 0; v < 3; v++) for (let k = 0; k < 10; k++) await write(k, v);
    const stale = await log.checkpoint(); // points into the active segment, at a byte position
    for (let v = 3; v < 6; v++) for (let k = 0; k < 10; k++) await write(k, v); // that segment closes
    expect(log.segments.some((s) => s.baseOffset === stale.segment && s !== log.active)).toBe(true);
    const cleaner = new LogCleaner({ dataDir: dir, clock, logger, dedupeBufferSize: 1 << 20, maxBatchBytes: 1 << 26, fileDeleteDelayMs: 0 });
    await cleaner.cleanLog(log);
    await cleaner.close();
    const expected = await readLog(log);
    expect(expected.length).toBeLessThan(60);
    // A crash now, with the recovery point recorded before the clean.
    const { log: recovered } = await loadLog({ dir, topic: 't', partition: 0, config: cfg, clock, logger, recoveryPoint: stale, cleanShutdown: false, maxBatchBytes: 1 << 26 });
    expect(await readLog(recovered)).toEqual(expected);
    expect(recovered.logEndOffset).toBe(60);
    await recovered.close();
    await log.deleteFiles().catch(() => undefined);
  });

  it('undoes a clean that crashed before the swap began: the old segments stay', async () => {
    const { cfg, clock, before, result } = await prepared();
    expect(result.groups).toHaveLength(1);
    expect(existsSync(names(0)[0]! + '.cleaned')).toBe(true);
    expect(await reopen(cfg, clock)).toEqual(before);
    expect(readdirSync(dir).some((f) => f.endsWith('.cleaned'))).toBe(false);
  });

  it('undoes a swap whose renames to .swap had not all happened', async () => {
    const { cfg, clock, before, result } = await prepared();
    const g = result.groups[0]!;
    writeFileSync(join(dir, '00000000000000000000.swapinfo'), JSON.stringify({ replaces: g.replaces }));
    renameSync(names(0)[0]! + '.cleaned', names(0)[0]! + '.swap'); // one of three
    expect(await reopen(cfg, clock)).toEqual(before);
  });

  it('completes a swap that crashed after the .swap files were in place, whatever happened next', async () => {
    for (const renamedOld of [false, true]) {
      cleanup();
      ({ dir, cleanup } = tempDir());
      const { cfg, clock, before, result } = await prepared();
      const g = result.groups[0]!;
      writeFileSync(join(dir, '00000000000000000000.swapinfo'), JSON.stringify({ replaces: g.replaces }));
      for (const n of names(0)) renameSync(n + '.cleaned', n + '.swap');
      if (renamedOld) for (const b of g.replaces) for (const n of names(b)) renameSync(n, n + '.deleted');
      const after = await reopen(cfg, clock);
      // Exactly the cleaned segment (the latest record of each key among the closed segments),
      // then the active segment as it was.
      const cleanEnd = result.nextDirtyOffset;
      const keys = new Map(before.filter((r) => r.offset < cleanEnd).map((r) => [r.key, r]));
      expect(after).toEqual([...[...keys.values()].sort((a, b) => a.offset - b.offset), ...before.filter((r) => r.offset >= cleanEnd)]);
      expect(readdirSync(dir).filter((f) => /\.(swap|swapinfo|cleaned|deleted)$/.test(f))).toEqual([]);
    }
  });
});
