import { History, RateSeries, ratePerSecond } from './rates';

const sample = (at: number, entries: Record<string, number>) => ({ at, counters: new Map(Object.entries(entries)) });

describe('rates', () => {
  it('is the per-second increase summed over the counters present in both samples', () => {
    expect(ratePerSecond(sample(0, { a: 10, b: 5 }), sample(2000, { a: 30, b: 9 }))).toBe(12);
    expect(ratePerSecond(sample(0, { a: 10 }), sample(1000, { a: 10, new: 500 }))).toBe(0); // a new counter has no rate yet
  });

  it('never goes negative when a counter goes down or disappears', () => {
    expect(ratePerSecond(sample(0, { a: 100, b: 10 }), sample(1000, { a: 3, b: 11 }))).toBe(1);
    expect(ratePerSecond(sample(0, { a: 100 }), sample(1000, {}))).toBe(0);
    expect(ratePerSecond(sample(1000, { a: 1 }), sample(1000, { a: 5 }))).toBe(0);
  });

  it('keeps the last points of a series, oldest first', () => {
    const series = new RateSeries(2);
    series.sample(sample(0, { a: 0 }));
    expect(series.history.values()).toEqual([]);
    for (const [at, a] of [[1000, 1], [2000, 3], [3000, 6]] as const) series.sample(sample(at, { a }));
    expect(series.history.values()).toEqual([
      { at: 2000, value: 2 },
      { at: 3000, value: 3 },
    ]);
    const h = new History(1);
    h.add({ at: 1, value: 1 });
    expect(h.last()).toEqual({ at: 1, value: 1 });
  });
});
