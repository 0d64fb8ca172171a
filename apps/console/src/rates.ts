/**
 * Rates and histories from counters sampled over time: records in per second from the sum of
 * high watermarks, records out per second from the sum of committed offsets. The broker keeps no
 * rates; the console derives them from two successive samples of monotonic counters.
 *
 * A counter that went down (a topic deleted and re-created, offsets reset) or disappeared counts
 * as 0 for that step, never as a negative rate. Not thread-safe (browsers have one thread).
 */

/** A sample of named monotonic counters, e.g. one high watermark sum per topic. */
export interface CounterSample {
  /** Milliseconds (any clock, as long as all samples use the same). */
  at: number;
  counters: ReadonlyMap<string, number>;
}

export interface Point {
  at: number;
  value: number;
}

/** Per-second increase from `before` to `after`, summed over the counters present in both. */
export function ratePerSecond(before: CounterSample, after: CounterSample): number {
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return 0;
  let increase = 0;
  for (const [name, value] of after.counters) {
    const previous = before.counters.get(name);
    if (previous !== undefined && value > previous) increase += value - previous;
  }
  return increase / seconds;
}

/** The last `capacity` points of a series, oldest first. */
export class History {
  private readonly points: Point[] = [];

  constructor(private readonly capacity: number) {}

  add(point: Point): void {
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  values(): readonly Point[] {
    return this.points;
  }

  last(): Point | undefined {
    return this.points[this.points.length - 1];
  }
}

/** Turns successive counter samples into a rate history. */
export class RateSeries {
  private previous: CounterSample | null = null;
  readonly history: History;

  constructor(capacity: number) {
    this.history = new History(capacity);
  }

  /** Adds a sample; from the second on, adds the rate since the previous one to the history. */
  sample(sample: CounterSample): void {
    if (this.previous !== null) this.history.add({ at: sample.at, value: ratePerSecond(this.previous, sample) });
    this.previous = sample;
  }
}
