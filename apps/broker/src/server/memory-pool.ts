/**
 * RequestMemoryPool: the broker-wide budget `queued.max.request.bytes` for bytes held on behalf of
 * clients: request frames being received or handled, and responses waiting to be sent. Modelled on
 * Kafka's non-strict memory pool: a request frame may start (its announced size is taken) while
 * the pool is below its capacity, even if that overshoots it; once the pool is full, a connection
 * whose next frame needs memory stops reading its socket and waits in FIFO order until enough is
 * released. Responses are always taken (refusing them would deadlock) but count towards the
 * budget, so a broker with many unsent responses stops reading new requests.
 *
 * Bound: held bytes stay below capacity + one max.frame.bytes (the last frame admitted), plus what
 * each socket had read before it was paused (one read, at most 64 KiB).
 * Single-threaded (event loop); waiters are called synchronously from release().
 */

export interface MemoryWaiter {
  /** Called once when the pool has room again; the waiter takes its memory itself. */
  wake(): void;
}

export class RequestMemoryPool {
  private held = 0;
  private readonly waiters: MemoryWaiter[] = [];

  constructor(
    readonly capacity: number,
    private readonly onChange: (held: number) => void = () => undefined,
  ) {}

  get used(): number {
    return this.held;
  }

  /** True when a new request frame may start now. */
  get hasRoom(): boolean {
    return this.held < this.capacity && this.waiters.length === 0;
  }

  /** Takes `bytes` unconditionally (frames admitted, responses). */
  take(bytes: number): void {
    if (bytes <= 0) return;
    this.held += bytes;
    this.onChange(this.held);
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.held -= bytes;
    if (this.held < 0) this.held = 0;
    this.onChange(this.held);
    while (this.held < this.capacity && this.waiters.length > 0) this.waiters.shift()!.wake();
  }

  /** Queues `waiter` until the pool has room. */
  wait(waiter: MemoryWaiter): void {
    this.waiters.push(waiter);
  }

  /** Removes a waiter that no longer needs memory (its connection closed). */
  cancel(waiter: MemoryWaiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  get waiting(): number {
    return this.waiters.length;
  }
}
