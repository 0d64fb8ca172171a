import pino from 'pino';
import { RecordBatchBuilder, iterateBatches } from '@strata/protocol';
import { MemoryLog } from '../../test/helpers/memory-log';
import { ManualClock } from '../util/clock';
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue, offsetsPartitionFor } from './offset-records';
import { OffsetStore } from './offset-store';

const logger = pino({ level: 'silent' });

function store(logs: MemoryLog[], clock = new ManualClock()): OffsetStore {
  return new OffsetStore({ partitions: () => logs.map((log) => ({ log, leaderEpoch: 0, isLeader: true })), durable: true, clock, logger });
}

describe('offset records', () => {
  it('round-trip keys and values, including non-ASCII names and metadata', () => {
    const key = { group: 'grüppe', topic: 'orders.eu', partition: 7 };
    expect(decodeOffsetKey(encodeOffsetKey(key))).toEqual(key);
    const value = { offset: 2 ** 40 + 3, leaderEpoch: 5, commitTimestamp: 1_700_000_000_123, metadata: 'häppy' };
    expect(decodeOffsetValue(encodeOffsetValue(value))).toEqual(value);
  });

  it('skips key versions it does not know and rejects malformed bytes', () => {
    const other = encodeOffsetKey({ group: 'g', topic: 't', partition: 0 });
    new DataView(other.buffer).setInt16(0, 2);
    expect(decodeOffsetKey(other)).toBeNull();
    expect(() => decodeOffsetKey(new Uint8Array([0, 1, 0, 9, 1]))).toThrow();
    expect(() => decodeOffsetValue(new Uint8Array(5))).toThrow();
  });

  it('spreads groups over the partitions deterministically', () => {
    expect(offsetsPartitionFor('g', 1)).toBe(0);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => offsetsPartitionFor(`group-${i}`, 4)));
    expect(spread.size).toBe(4);
    expect(offsetsPartitionFor('orders', 50)).toBe(offsetsPartitionFor('orders', 50));
  });
});

describe('OffsetStore', () => {
  it('keeps the latest commit per partition and rebuilds the same state from the log', async () => {
    const logs = [new MemoryLog(), new MemoryLog()];
    const a = store(logs);
    await a.load();
    await a.commit('g1', [
      { tp: 't:0', offset: 10, leaderEpoch: 0, metadata: 'm' },
      { tp: 't:1', offset: 20, leaderEpoch: 0, metadata: '' },
    ]);
    await a.commit('g1', [{ tp: 't:0', offset: 11, leaderEpoch: 1, metadata: 'n' }]);
    await a.commit('g2', [{ tp: 'u:0', offset: 5, leaderEpoch: 0, metadata: '' }]);
    expect(a.fetch('g1', 't:0')).toMatchObject({ offset: 11, leaderEpoch: 1, metadata: 'n' });

    const b = store(logs);
    expect(b.loaded).toBe(false);
    await b.load();
    expect(b.loaded).toBe(true);
    expect(b.groups().sort()).toEqual(['g1', 'g2']);
    expect(b.fetch('g1', 't:0')).toMatchObject({ offset: 11, leaderEpoch: 1, metadata: 'n' });
    expect(b.fetch('g1', 't:1')?.offset).toBe(20);
    expect(b.fetch('g2', 'u:0')?.offset).toBe(5);
  });

  it('deletes a group\'s offsets with tombstones that survive a reload', async () => {
    const logs = [new MemoryLog()];
    const a = store(logs);
    await a.load();
    await a.commit('g', [{ tp: 't:0', offset: 1, leaderEpoch: 0, metadata: '' }]);
    await a.commit('keep', [{ tp: 't:0', offset: 2, leaderEpoch: 0, metadata: '' }]);
    expect(await a.deleteGroup('g')).toBe(1);
    expect(a.hasOffsets('g')).toBe(false);
    const b = store(logs);
    await b.load();
    expect(b.groups()).toEqual(['keep']);
  });

  it('applies writes to the cache in log order, after they are durable, whatever order the waits end in', async () => {
    const log = new MemoryLog();
    const a = store([log]);
    await a.load();
    log.holdDurable = true;
    const first = a.commit('g', [{ tp: 't:0', offset: 1, leaderEpoch: 0, metadata: '' }]);
    const second = a.commit('g', [{ tp: 't:0', offset: 2, leaderEpoch: 0, metadata: '' }]);
    await Promise.resolve();
    expect(a.fetch('g', 't:0')).toBeUndefined(); // not durable yet: not visible
    log.flushDurable(true);
    await Promise.all([first, second]);
    expect(a.fetch('g', 't:0')?.offset).toBe(2);
  });

  it('fails a commit with KAFKA_STORAGE_ERROR when the append fails, and changes nothing', async () => {
    const log = new MemoryLog();
    const a = store([log]);
    await a.load();
    log.failWith = new Error('disk full');
    await expect(a.commit('g', [{ tp: 't:0', offset: 1, leaderEpoch: 0, metadata: '' }])).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    expect(a.fetch('g', 't:0')).toBeUndefined();
  });

  it('skips records it cannot decode while loading', async () => {
    const log = new MemoryLog();
    const junk = new RecordBatchBuilder();
    junk.append({ key: 'not an offset key', value: 'x' });
    junk.append({ key: null, value: 'no key' });
    junk.append({ key: encodeOffsetKey({ group: 'g', topic: 't', partition: 0 }), value: encodeOffsetValue({ offset: 3, leaderEpoch: 0, commitTimestamp: 0, metadata: '' }) });
    log.append([...iterateBatches(junk.build())], 0);
    const a = store([log]);
    await a.load();
    expect(a.fetch('g', 't:0')?.offset).toBe(3);
  });
});
