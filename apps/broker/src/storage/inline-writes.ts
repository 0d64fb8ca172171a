/**
 * InlineWrites: the broker-wide policy for writing small appends synchronously, on the event loop,
 * instead of on libuv's thread pool.
 *
 * Why: a buffered write of a few KiB to the page cache takes ~4 µs (p99 ~20 µs here), while the
 * same write through the thread pool takes ~60 µs from submission to callback (p99 ~0.7 ms on 2
 * cores, where the worker thread competes with the clients for a core): two thread hand-offs per
 * append. That hand-off was a fifth of a record's end-to-end latency at low rates. Large appends
 * (throughput) keep going through the thread pool, where they are coalesced.
 *
 * What it may cost: a buffered write() does not wait for the disk, except when the kernel
 * throttles writers (too many dirty pages) or a journal commit holds the inode. Then one inline
 * write blocks the event loop. The breaker bounds that: a write slower than `slowWriteMs` turns
 * inline writes off for `cooldownMs`, so a struggling disk costs the event loop one slow write per
 * cool-down, not one per append. fsync never runs inline (durable acks stay group commits on the
 * thread pool).
 *
 * Invariants: a Log writes inline only when it has no write queued or running, so its writes stay
 * sequential and in offset order; `maxBytes` 0 turns the policy off. Event loop only.
 */
export interface InlineWritesOptions {
  /** Largest append written inline, in bytes; 0: never. */
  maxBytes: number;
  /** An inline write slower than this (milliseconds) trips the breaker. @default 2 */
  slowWriteMs?: number;
  /** How long a tripped breaker keeps inline writes off (milliseconds). @default 10000 */
  cooldownMs?: number;
  /** Monotonic milliseconds (performance.now() by default; tests pass their own). */
  now?: () => number;
}

export class InlineWrites {
  readonly maxBytes: number;
  private readonly slowWriteMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private offUntil = Number.NEGATIVE_INFINITY;
  /** Inline writes done so far. */
  writes = 0;
  /** Times the breaker tripped. */
  trips = 0;

  constructor(options: InlineWritesOptions) {
    this.maxBytes = options.maxBytes;
    this.slowWriteMs = options.slowWriteMs ?? 2;
    this.cooldownMs = options.cooldownMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** True when an append of `bytes` may be written inline now. */
  allows(bytes: number): boolean {
    return bytes <= this.maxBytes && this.now() >= this.offUntil;
  }

  /**
   * Runs `write` (a synchronous write) and times it; a slow one turns inline writes off for the
   * cool-down. Exceptions pass through.
   */
  run<T>(write: () => T): T {
    const started = this.now();
    try {
      return write();
    } finally {
      const ended = this.now();
      this.writes++;
      if (ended - started > this.slowWriteMs) {
        this.trips++;
        this.offUntil = ended + this.cooldownMs;
      }
    }
  }
}

/** Never writes inline (embedded uses and tests that want the thread-pool path). */
export const NO_INLINE_WRITES = new InlineWrites({ maxBytes: 0 });
