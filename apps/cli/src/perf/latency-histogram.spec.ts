import { LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  it('is exact below 2,048 µs', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    expect(h.count).toBe(1000);
    expect(h.percentile(50)).toBe(500);
    expect(h.percentile(99)).toBe(990);
    expect(h.percentile(99.9)).toBe(999);
    expect(h.percentile(100)).toBe(1000);
    expect(h.min).toBe(1);
    expect(h.max).toBe(1000);
    expect(h.mean).toBeCloseTo(500.5);
  });

  it('keeps large values within 0.1%', () => {
    const h = new LatencyHistogram();
    const values = [2048, 3_333, 123_457, 9_876_543, 3_600_000_000];
    for (const v of values) {
      h.reset();
      h.record(v);
      const got = h.percentile(50);
      expect(Math.abs(got - v) / v).toBeLessThan(0.001);
      expect(got).toBeLessThanOrEqual(v);
    }
  });

  it('merges, resets, and answers 0 when empty', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    expect(a.percentile(99)).toBe(0);
    a.record(10);
    b.record(5000);
    b.record(-3);
    a.add(b);
    expect(a.count).toBe(3);
    expect(a.min).toBe(0);
    expect(a.max).toBe(5000);
    a.reset();
    expect(a.count).toBe(0);
    expect(a.max).toBe(0);
  });
});
