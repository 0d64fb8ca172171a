/**
 * TailCache: copies of a log's most recently appended batches, so that consumers reading at the
 * end of the log (the common case) are answered from memory, without a read on the thread pool.
 *
 * Entries are added in offset order at append time (before the write completes); a read only
 * uses entries that end at or below the high watermark, so nothing unwritten is ever served.
 * A failed write or a truncation drops the entries it took back. The cache holds at most
 * `maxBytes` (oldest entries go first); the log manager sizes it from a broker-wide budget.
 * Batches are copied in, so the cache never keeps a client's whole request frame alive.
 *
 * Not thread-safe: event loop only.
 */
interface Entry {
  baseOffset: number;
  /** Offset after the batch. */
  endOffset: number;
  bytes: Uint8Array;
}

export class TailCache {
  private entries: Entry[] = [];
  private head = 0;
  private size = 0;

  constructor(public maxBytes: number) {}

  get bytes(): number {
    return this.size;
  }

  add(baseOffset: number, endOffset: number, bytes: Uint8Array): void {
    if (this.maxBytes <= 0 || bytes.length > this.maxBytes) {
      this.clear();
      return;
    }
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    this.entries.push({ baseOffset, endOffset, bytes: copy });
    this.size += bytes.length;
    while (this.size > this.maxBytes && this.head < this.entries.length) {
      this.size -= this.entries[this.head]!.bytes.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one when
   * `minOneBatch`), never past `highWatermark`; null when the cache does not reach back to
   * `offset` (the caller reads the file).
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, highWatermark: number): Uint8Array | null {
    const entries = this.entries;
    if (this.head >= entries.length || offset < entries[this.head]!.baseOffset) return null;
    // The first entry whose batch ends after `offset` (binary search; entries are in order).
    let lo = this.head;
    let hi = entries.length - 1;
    let first = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.endOffset > offset) {
        first = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (first < 0) return null;
    let total = 0;
    let last = first;
    for (let i = first; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.endOffset > highWatermark) break;
      if (total + e.bytes.length > maxBytes && (total > 0 || !minOneBatch)) break;
      total += e.bytes.length;
      last = i + 1;
    }
    if (total === 0) return new Uint8Array(0); // not written yet, or does not fit in maxBytes
    if (last === first + 1) return entries[first]!.bytes;
    const out = new Uint8Array(total);
    let pos = 0;
    for (let i = first; i < last; i++) {
      out.set(entries[i]!.bytes, pos);
      pos += entries[i]!.bytes.length;
    }
    return out;
  }

  /** Drops entries at or after `offset`. */
  truncateFrom(offset: number): void {
    while (this.entries.length > this.head && this.entries[this.entries.length - 1]!.endOffset > offset) {
      this.size -= this.entries.pop()!.bytes.length;
    }
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.size = 0;
  }
}
