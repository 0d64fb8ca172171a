/**
 * What the application is doing with the records, as a group member must report it: when it last
 * took or finished a record (for the heartbeat's `poll_idle_ms`), whether it is waiting for
 * records (then it is not idle at all), and which partitions hold a record in its hands (a
 * revocation waits for those). It also counts records handed out, for auto-commit thresholds.
 *
 * Invariant: `PartitionState.processing` is set by whoever hands a record out (the run loop, an
 * iterator) and cleared only through release(), which also performs a rewind a pause asked for
 * meanwhile and wakes whoever waits for partitions to drain.
 * Single-threaded.
 */
import type { Clock } from '../clock';
import type { PartitionState } from './subscription-state';

export interface ConsumptionHooks {
  /** A paused partition was rewound once its record was released: fetch again. */
  onRewind(): void;
  /** `count` more records were handed out or finished. */
  onProgress(count: number): void;
}

export class ConsumptionTracker {
  private lastActiveAt: number;
  private waiting = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    private readonly hooks: ConsumptionHooks,
  ) {
    this.lastActiveAt = clock.now();
  }

  /** Restarts the idle clock (consumption begins). */
  reset(): void {
    this.lastActiveAt = this.clock.now();
    this.waiting = 0;
  }

  /** Records were handed out or finished. */
  progressed(count: number): void {
    this.lastActiveAt = this.clock.now();
    this.hooks.onProgress(count);
  }

  /** The application waits for records (the buffer is empty) until the returned function is called. */
  waitForRecords(): () => void {
    this.waiting++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.waiting--;
      this.lastActiveAt = this.clock.now();
    };
  }

  /** Milliseconds since the application last took or finished a record; 0 while it waits for records. */
  idleMs(): number {
    return this.waiting > 0 ? 0 : Math.max(0, this.clock.now() - this.lastActiveAt);
  }

  /** A record of `s` is in the application's hands. */
  hold(s: PartitionState): void {
    s.processing = true;
  }

  /** The application is done with the record(s) of `s` it held. */
  release(s: PartitionState): void {
    if (!s.processing) return;
    s.processing = false;
    if (s.rewindPending) {
      // Paused while in hand: what was processed counts; the rest is fetched again on resume.
      s.rewindPending = false;
      s.rewind();
      this.hooks.onRewind();
    }
    this.notify();
  }

  /** Wakes every waitUntil() to check its condition again. */
  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `condition()` holds; it is checked now and after every release() or notify(). */
  waitUntil(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}
