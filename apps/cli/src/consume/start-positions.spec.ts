import { StrataError } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';
import { planRanges, type StartOptions } from './start-positions';

const observed = [
  { partition: 0, low: 0, high: 10 },
  { partition: 1, low: 5, high: 7 },
  { partition: 2, low: 0, high: 0 },
];
function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const at = (offset: number) => ({ kind: 'offset' as const, offset });

const base: StartOptions = { topic: 't', fromBeginning: false, offsets: [], partitions: [] };

describe('planRanges', () => {
  it('starts every partition at its end by default', () => {
    expect(planRanges(base, observed)).toEqual([
      { partition: 0, start: 10, end: 10 },
      { partition: 1, start: 7, end: 7 },
      { partition: 2, start: 0, end: 0 },
    ]);
  });

  it('starts at the log start offsets with fromBeginning', () => {
    expect(planRanges({ ...base, fromBeginning: true, partitions: [1, 0] }, observed)).toEqual([
      { partition: 0, start: 0, end: 10 },
      { partition: 1, start: 5, end: 7 },
    ]);
  });

  it('applies N to every selected partition and P:N to partition P, which it selects', () => {
    expect(planRanges({ ...base, offsets: [{ partition: 1, position: at(6) }] }, observed)).toEqual([{ partition: 1, start: 6, end: 7 }]);
    expect(planRanges({ ...base, offsets: [{ partition: null, position: at(5) }, { partition: 1, position: at(6) }], partitions: [0, 1] }, observed)).toEqual([
      { partition: 0, start: 5, end: 10 },
      { partition: 1, start: 6, end: 7 },
    ]);
  });

  it('rejects offsets outside [log start, end] with OFFSET_OUT_OF_RANGE', () => {
    expect(errorOf(() => planRanges({ ...base, offsets: [{ partition: 1, position: at(4) }] }, observed))).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(() => planRanges({ ...base, offsets: [{ partition: 0, position: at(11) }] }, observed)).toThrow(StrataError);
  });

  it('rejects a partition the topic does not have with UNKNOWN_TOPIC_OR_PARTITION', () => {
    const error = errorOf(() => planRanges({ ...base, partitions: [3] }, observed));
    expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(error).toHaveProperty('message', expect.stringContaining('no partition 3 (it has partitions 0 to 2)'));
  });

  it('rejects contradictory offsets as usage errors', () => {
    expect(() => planRanges({ ...base, offsets: [{ partition: 0, position: at(1) }], partitions: [1] }, observed)).toThrow(CliUsageError);
    expect(() => planRanges({ ...base, offsets: [{ partition: 0, position: at(1) }, { partition: 0, position: at(2) }] }, observed)).toThrow(CliUsageError);
  });

  it('resolves beginning, end, -N (never before the log start) and @time (looked up beforehand)', () => {
    expect(planRanges({ ...base, offsets: [{ partition: null, position: { kind: 'beginning' } }], partitions: [0, 1] }, observed)).toEqual([
      { partition: 0, start: 0, end: 10 },
      { partition: 1, start: 5, end: 7 },
    ]);
    expect(planRanges({ ...base, offsets: [{ partition: 0, position: { kind: 'end' } }] }, observed)).toEqual([{ partition: 0, start: 10, end: 10 }]);
    expect(planRanges({ ...base, offsets: [{ partition: null, position: { kind: 'from-end', count: 3 } }], partitions: [0, 1] }, observed)).toEqual([
      { partition: 0, start: 7, end: 10 },
      { partition: 1, start: 5, end: 7 },
    ]);
    const timestampOffsets = new Map([[1234, new Map([[0, 4], [1, 7]])]]);
    expect(planRanges({ ...base, offsets: [{ partition: null, position: { kind: 'timestamp', timestamp: 1234 } }], partitions: [0, 1], timestampOffsets }, observed)).toEqual([
      { partition: 0, start: 4, end: 10 },
      { partition: 1, start: 7, end: 7 },
    ]);
  });
});
