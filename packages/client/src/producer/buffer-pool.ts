/**
 * BufferPool: the producer's memory budget (`bufferMemory`), in bytes of record-batch buffers.
 * A batch reserves its buffer's capacity when it opens and gives it back when it settles, so the
 * bytes held in batches, waiting or in flight, never exceed the budget however fast send() is
 * called: when the budget is spent, send() waits here.
 *
 * Invariants: 0 <= available <= total; waiters are served strictly in FIFO order (a small request
 * never overtakes a large one, so nobody starves); a waiter gives up after its own deadline with
 * BUFFER_EXHAUSTED. Single-threaded.
 */
import type { Clock, TimerHandle } from '../clock';
import { StrataBufferExhaustedError } from '../errors';

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

export class BufferPool {
  private free: number;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly total: number,
    private readonly clock: Clock,
  ) {
    this.free = total;
  }

  get available(): number {
    return this.free;
  }

  /** Bytes reserved by batches right now. */
  get used(): number {
    return this.total - this.free;
  }

  /** True when some send() is waiting for memory (the sender then sends everything it can). */
  get exhausted(): boolean {
    return this.waiters.length > 0;
  }

  /** Reserves `bytes` at once if nobody waits before us and they are free. */
  tryAllocate(bytes: number): boolean {
    if (this.waiters.length > 0 || bytes > this.free) return false;
    this.free -= bytes;
    return true;
  }

  /**
   * Waits until `bytes` are free (after the waiters before this one), up to `waitMs` (what is left
   * of the caller's `maxBlockMs`); then rejects with BUFFER_EXHAUSTED. `bytes` must not exceed
   * `total`.
   */
  allocate(bytes: number, waitMs: number, maxBlockMs: number = waitMs): Promise<void> {
    if (this.tryAllocate(bytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, timer: undefined };
      waiter.timer = this.clock.setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        reject(
          new StrataBufferExhaustedError(
            `the producer buffer (bufferMemory ${this.total} bytes) had no room for ${bytes} bytes within maxBlockMs (${maxBlockMs} ms): the broker is slower than send() or unreachable`,
            maxBlockMs,
          ),
        );
        this.serve(); // the next waiter may fit now that this one left the head
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.free = Math.min(this.total, this.free + bytes);
    this.serve();
  }

  /** Rejects every waiter (the producer is closing or failed). */
  abortWaiters(error: Error): void {
    for (const w of this.waiters.splice(0)) {
      this.clock.clearTimeout(w.timer);
      w.reject(error);
    }
  }

  private serve(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0]!;
      if (head.bytes > this.free) return;
      this.waiters.shift();
      this.free -= head.bytes;
      this.clock.clearTimeout(head.timer);
      head.resolve();
    }
  }
}
