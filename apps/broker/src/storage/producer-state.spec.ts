import type { RecordBatchHeader } from '@strata/protocol';
import { tempDir } from '../../test/helpers/tmp';
import { ProducerStateManager } from './producer-state';

function header(producerId: number, baseSequence: number, records: number, producerEpoch = 0): RecordBatchHeader {
  return {
    baseOffset: 0,
    batchLength: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: records - 1,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount: records,
  };
}

describe('producer state', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('keeps the last five batches of each producer, apart from the others', () => {
    const state = new ProducerStateManager(dir);
    let offset = 0;
    for (let seq = 0; seq < 40; seq += 4) {
      for (const id of [7, 8]) {
        state.record(header(id, seq, 4), offset, 0, 1000);
        offset += 4;
      }
    }
    // Producer 7's batches start at sequences 0, 4, ... 36; the last five are 20..36.
    expect(state.check(header(7, 36, 4))).toEqual({ kind: 'duplicate', batch: { firstSeq: 36, lastSeq: 39, baseOffset: 72, lastOffset: 75, generation: 0 } });
    expect(state.check(header(8, 20, 4))).toMatchObject({ kind: 'duplicate', batch: { baseOffset: 44 } });
    expect(() => state.check(header(7, 16, 4))).toThrow(/already written/);
    expect(state.check(header(7, 40, 1))).toEqual({ kind: 'append' });
    expect(() => state.check(header(7, 41, 1))).toThrow(/expected 40/);
  });

  it('forgets what a truncation took back, and producers left with nothing', () => {
    const state = new ProducerStateManager(dir);
    state.record(header(1, 0, 1), 0, 0, 0);
    state.record(header(2, 0, 1), 1, 0, 0);
    state.record(header(1, 1, 1), 2, 0, 0);
    state.truncateFrom(1);
    expect(state.size).toBe(1);
    expect(state.check(header(1, 1, 1))).toEqual({ kind: 'append' });
    expect(() => state.check(header(2, 1, 1))).toThrow(/no state for producer 2/);
    // A producer that comes back after being forgotten starts clean (its slot may be reused).
    state.record(header(2, 0, 1), 1, 1, 0);
    expect(state.check(header(2, 0, 1))).toMatchObject({ kind: 'duplicate', batch: { baseOffset: 1, generation: 1 } });
  });

  it('expires idle producers, and a new epoch starts over at sequence 0', () => {
    const state = new ProducerStateManager(dir);
    state.record(header(1, 0, 1), 0, 0, 0);
    state.record(header(2, 0, 1), 1, 0, 5000);
    expect(state.expire(5500, 1000)).toBe(1);
    expect(state.size).toBe(1);
    expect(() => state.check(header(2, 5, 1, 1))).toThrow(/new epoch .* must start at sequence 0/);
    state.record(header(2, 0, 1, 1), 2, 0, 6001);
    expect(() => state.check(header(2, 1, 1, 0))).toThrow(/fenced/);
  });

  it('reads back what it snapshots (batches below the snapshot offset)', async () => {
    const state = new ProducerStateManager(dir);
    for (let i = 0; i < 7; i++) state.record(header(3, i * 2, 2), i * 2, 0, 42);
    await state.snapshot(12);
    const loaded = new ProducerStateManager(dir);
    expect(await loaded.load(14)).toBe(12);
    expect(loaded.check(header(3, 10, 2))).toMatchObject({ kind: 'duplicate', batch: { baseOffset: 10, lastOffset: 11 } });
    expect(loaded.check(header(3, 12, 2))).toEqual({ kind: 'append' });
    expect(() => loaded.check(header(3, 2, 2))).toThrow(/already written/);
  });

  it('holds a producer in a fixed number of bytes, whatever its number of batches', () => {
    const state = new ProducerStateManager(dir);
    for (let id = 0; id < 64; id++) state.record(header(id, 0, 1), id, 0, 0);
    const bytes = state.memoryBytes;
    expect(bytes).toBeLessThanOrEqual(64 * 128);
    for (let seq = 1; seq < 1000; seq++) for (let id = 0; id < 64; id++) state.record(header(id, seq, 1), 64 * seq + id, 0, 0);
    expect(state.memoryBytes).toBe(bytes);
  });
});
