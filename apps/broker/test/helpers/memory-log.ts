/**
 * An in-memory stand-in for a partition Log, with the part of its interface the OffsetStore uses:
 * appends stamp offsets like the real log; every write is durable at once.
 */
import { stampBatch, type BatchView } from '@strata/protocol';
import type { OffsetsLog } from '../../src/groups/offset-store';

export class MemoryLog implements OffsetsLog {
  logStartOffset = 0;
  highWatermark = 0;
  private readonly batches: Array<{ base: number; end: number; bytes: Uint8Array }> = [];
  /** When set, appends throw it (a failing disk). */
  failWith: Error | null = null;
  /** When set, durability waits queue up until flushDurable(). */
  holdDurable = false;
  private readonly held: Array<() => void> = [];

  append(batches: readonly BatchView[], leaderEpoch: number): { endOffset: number; generation: number } {
    if (this.failWith) throw this.failWith;
    for (const b of batches) {
      const bytes = Uint8Array.from(b.bytes);
      stampBatch(bytes, 0, this.highWatermark, leaderEpoch);
      const end = this.highWatermark + b.header.lastOffsetDelta + 1;
      this.batches.push({ base: this.highWatermark, end, bytes });
      this.highWatermark = end;
    }
    return { endOffset: this.highWatermark, generation: 0 };
  }

  waitWritten(): Promise<void> {
    return Promise.resolve();
  }

  waitDurable(): Promise<void> {
    if (!this.holdDurable) return Promise.resolve();
    return new Promise((resolve) => this.held.push(resolve));
  }

  /** Resolves the held durability waits, newest first when `reverse` (a worst-case order). */
  flushDurable(reverse = false): void {
    const waiters = this.held.splice(0);
    for (const resolve of reverse ? waiters.reverse() : waiters) resolve();
  }

  /** Every append is written and replicated at once here. */
  get writtenEndOffset(): number {
    return this.highWatermark;
  }

  read(offset: number): Promise<{ records: Uint8Array }> {
    const parts = this.batches.filter((b) => b.end > offset).map((b) => b.bytes);
    return Promise.resolve({ records: Buffer.concat(parts) });
  }
}
