/**
 * OffsetWaiters: promises waiting for a log position ("everything below offset N is written", or
 * "... is fsynced"), queued in the order they were made. Appends assign offsets in call order, so
 * the queue is sorted by end offset and settling a prefix is enough.
 */

interface Waiter {
  endOffset: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class OffsetWaiters {
  private waiters: Waiter[] = [];

  get length(): number {
    return this.waiters.length;
  }

  /** End offset the oldest waiter needs, or Infinity when none waits. */
  get firstEndOffset(): number {
    return this.waiters[0]?.endOffset ?? Infinity;
  }

  /** A promise resolved by settle(upTo >= endOffset), rejected by rejectAbove(upTo < endOffset). */
  wait(endOffset: number): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ endOffset, resolve, reject }));
  }

  /** Resolves every waiter whose end offset is <= `upTo`. */
  settle(upTo: number): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.endOffset <= upTo) n++;
    if (n === 0) return;
    for (const w of this.waiters.splice(0, n)) w.resolve();
  }

  /** Rejects every waiter whose end offset is > `upTo` (-1: all of them) with `error`. */
  rejectAbove(upTo: number, error: Error): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.endOffset > upTo) w.reject(error);
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
