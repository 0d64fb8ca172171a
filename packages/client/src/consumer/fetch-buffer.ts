/**
 * The bounded hand-off between the fetcher and the application: fetched partition data waits here,
 * undecoded, until the run loop or the iterator takes it. The fetcher asks `hasSpace()` before each
 * fetch and is woken (`onSpace`) when the application drains the buffer below its limit, so a slow
 * application slows fetching instead of growing memory: at most `maxBufferedBytes` plus one fetch
 * response wait here.
 * Single consumer (one run loop or one iterator at a time). Not thread-safe.
 */
import type { PartitionState } from './subscription-state';

export interface FetchedData {
  state: PartitionState;
  /** The partition's epoch when fetched; stale when it changed since. */
  epoch: number;
  /** Offset the fetch asked for; records below it are skipped. */
  fetchOffset: number;
  /** Offset after the last complete batch. */
  nextOffset: number;
  highWatermark: number;
  /** Complete record batches, as the broker stored them. */
  records: Uint8Array;
}

export class FetchBuffer {
  private queue: Array<FetchedData | undefined> = [];
  private head = 0;
  private bytes = 0;
  private waiter: ((value: void) => void) | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly onSpace: () => void,
  ) {}

  get bufferedBytes(): number {
    return this.bytes;
  }

  /** True when no entry waits. */
  get isEmpty(): boolean {
    return this.head >= this.queue.length;
  }

  hasSpace(): boolean {
    return this.bytes < this.maxBufferedBytes;
  }

  push(data: FetchedData): void {
    if (this.closed) return;
    this.queue.push(data);
    this.bytes += data.records.length;
    this.wake();
  }

  /** The next entry, or undefined when empty. */
  poll(): FetchedData | undefined {
    if (this.head >= this.queue.length) return undefined;
    const data = this.queue[this.head]!;
    this.queue[this.head++] = undefined; // release it for the GC
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const hadSpace = this.hasSpace();
    this.bytes -= data.records.length;
    if (!hadSpace && this.hasSpace()) this.onSpace();
    return data;
  }

  /**
   * The next entry, waiting for one. Resolves undefined once closed; rejects after fail().
   */
  async take(): Promise<FetchedData | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      const data = this.poll();
      if (data) return data;
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Drops every buffered entry (after seek/pause the entries are stale anyway). */
  clear(): void {
    const hadSpace = this.hasSpace();
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    if (!hadSpace) this.onSpace();
  }

  /** Wakes a waiting take() with undefined from now on. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Makes take() reject with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  /** Reopens after close() or fail(), empty. */
  reopen(): void {
    this.clear();
    this.closed = false;
    this.failure = null;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
