/**
 * LatencyHistogram: latencies in microseconds with bounded memory, HDR-style: exact to 1 µs below
 * 2,048 µs, then 1,024 linear sub-buckets per power of two (relative error under 0.1%), up to
 * 2^32 µs (71 minutes; larger values count as that). Recording is O(1) and allocates nothing, so a
 * benchmark can record every record's latency without disturbing what it measures.
 *
 * Invariants: `count` equals the sum of the buckets; min/max/sum are exact. Not thread-safe.
 */
const EXACT = 2048;
const SUB_BUCKETS = 1024;
const MAX_VALUE = 2 ** 32 - 1;
/** Powers of two above EXACT up to 2^32: 2^11 ... 2^31. */
const BUCKETS = EXACT + 21 * SUB_BUCKETS;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;

  /** Records one latency of `micros` microseconds (negative counts as 0). */
  record(micros: number): void {
    const v = micros <= 0 ? 0 : micros >= MAX_VALUE ? MAX_VALUE : Math.round(micros);
    this.counts[indexOf(v)]!++;
    this.count++;
    this.sum += v;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /** Adds every value of `other`. */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.minValue = Math.min(this.minValue, other.minValue);
      this.maxValue = Math.max(this.maxValue, other.maxValue);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
  }

  /** The value at percentile `p` (0-100) in microseconds: the upper bound of its bucket, at most max. 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p * this.count) / 100 - 1e-9)); // (float error must not push a rank up)
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperBound(i), this.maxValue);
    }
    return this.maxValue;
  }

  get max(): number {
    return this.maxValue;
  }

  get min(): number {
    return this.count === 0 ? 0 : this.minValue;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

function indexOf(v: number): number {
  if (v < EXACT) return v;
  const exponent = 31 - Math.clz32(v); // >= 11
  const shift = exponent - 10;
  const sub = Math.floor(v / 2 ** shift) - SUB_BUCKETS; // 0..1023
  return EXACT + (exponent - 11) * SUB_BUCKETS + sub;
}

function upperBound(index: number): number {
  if (index < EXACT) return index;
  const k = index - EXACT;
  const exponent = Math.floor(k / SUB_BUCKETS) + 11;
  const sub = (k % SUB_BUCKETS) + SUB_BUCKETS;
  const shift = exponent - 10;
  return (sub + 1) * 2 ** shift - 1;
}
