/**
 * Small appends written synchronously (InlineWrites): the high watermark moves before append()
 * returns, ordering holds when inline and thread-pool writes mix, the breaker turns inline writes
 * off after a slow one, and everything reads back and recovers as usual.
 */
import pino from 'pino';
import { BATCH_HEADER_SIZE, decodeRecords, iterateBatches, type RecordInput } from '@strata/protocol';
import { InlineWrites } from '../src/storage/inline-writes';
import { loadLog } from '../src/storage/log-loader';
import { ManualClock } from '../src/util/clock';
import { batch } from './helpers/wire-client';
import { logConfig } from './helpers/log-config';
import { tempDir } from './helpers/tmp';

const logger = pino({ level: 'silent' });
const dec = new TextDecoder();

function views(bytes: Uint8Array) {
  return [...iterateBatches(bytes)];
}

function rec(i: number, size = 100): RecordInput {
  return { key: `k${i}`, value: `v${i}-`.padEnd(size, 'x'), timestamp: 1_700_000_000_000 + i };
}

async function open(dir: string, inline?: InlineWrites) {
  const { log } = await loadLog({
    dir,
    topic: 't',
    partition: 0,
    config: logConfig(),
    clock: new ManualClock(),
    logger,
    recoveryPoint: null,
    cleanShutdown: false,
    maxBatchBytes: 64 * 1024 * 1024,
    ...(inline ? { inline } : {}),
  });
  return log;
}

describe('InlineWrites policy', () => {
  it('allows appends up to maxBytes, never with maxBytes 0', () => {
    expect(new InlineWrites({ maxBytes: 100 }).allows(100)).toBe(true);
    expect(new InlineWrites({ maxBytes: 100 }).allows(101)).toBe(false);
    expect(new InlineWrites({ maxBytes: 0 }).allows(1)).toBe(false);
  });

  it('turns inline writes off for the cool-down after a slow write', () => {
    let now = 0;
    const policy = new InlineWrites({ maxBytes: 1000, slowWriteMs: 2, cooldownMs: 100, now: () => now });
    policy.run(() => (now += 1));
    expect(policy.allows(10)).toBe(true);
    policy.run(() => (now += 5));
    expect(policy.trips).toBe(1);
    expect(policy.allows(10)).toBe(false);
    now += 99;
    expect(policy.allows(10)).toBe(false);
    now += 1;
    expect(policy.allows(10)).toBe(true);
    expect(policy.writes).toBe(2);
  });

  it('times a write that throws, and lets the error through', () => {
    let now = 0;
    const policy = new InlineWrites({ maxBytes: 1000, slowWriteMs: 2, cooldownMs: 100, now: () => now });
    expect(() =>
      policy.run(() => {
        now += 3;
        throw new Error('EIO');
      }),
    ).toThrow('EIO');
    expect(policy.allows(10)).toBe(false);
  });
});

describe('Log with inline writes', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('moves the high watermark before append() returns once the file is open, and wakes watchers', async () => {
    const policy = new InlineWrites({ maxBytes: 64 * 1024 });
    const log = await open(dir, policy);
    let woken = 0;
    log.watch(() => woken++);
    // The very first append opens the file on the thread pool.
    await log.waitWritten(log.append(views(batch([rec(0)])), 0).endOffset);
    const r = log.append(views(batch([rec(1), rec(2)])), 0);
    expect(log.highWatermark).toBe(r.endOffset);
    expect(woken).toBe(2);
    expect(policy.writes).toBeGreaterThanOrEqual(1);
    await log.waitWritten(r.endOffset); // resolves at once
    const read = await log.read(0, 1 << 20, true);
    const values = [...iterateBatches(read.records)].flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header)).map((x) => dec.decode(x.value!));
    expect(values.map((v) => v.split('-')[0])).toEqual(['v0', 'v1', 'v2']);
    await log.close();
  });

  it('keeps offset order when large (thread-pool) and small (inline) appends mix, and recovers it all', async () => {
    const log = await open(dir, new InlineWrites({ maxBytes: 2048 }));
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      // Every third append is larger than the inline limit, so it goes to the thread pool and the
      // small ones behind it must queue, not overtake.
      const size = i % 3 === 0 ? 5000 : 50;
      const r = log.append(views(batch([rec(i, size)])), 0);
      waits.push(log.waitWritten(r.endOffset));
    }
    await Promise.all(waits);
    expect(log.highWatermark).toBe(60);
    await log.close();
    const reopened = await open(dir);
    expect(reopened.logEndOffset).toBe(60);
    const values: string[] = [];
    let offset = 0;
    while (offset < reopened.highWatermark) {
      const r = await reopened.read(offset, 1 << 20, true);
      for (const v of iterateBatches(r.records)) for (const x of decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header)) if (x.offset >= offset) values.push(dec.decode(x.key!));
      offset = values.length;
    }
    expect(values).toEqual(Array.from({ length: 60 }, (_, i) => `k${i}`));
    await reopened.close();
  });
});
