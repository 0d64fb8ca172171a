/**
 * TailCache: copies of a log's most recently appended batches, so that consumers reading at the
 * end of the log (the common case) are answered from memory, without a read on the thread pool.
 *
 * Layout: one ring buffer of `maxBytes`, allocated on first use, and an ordered list of entries
 * (offset range, position in the ring). Appending copies the batch into the ring after the
 * previous one — no allocation per batch, so the cache adds no garbage-collection work — and
 * drops the oldest entries it overwrites; a batch that does not fit before the end of the ring
 * starts again at its beginning. Reads copy the entries they return out of the ring, because
 * later appends may overwrite it while a response is being built.
 *
 * Entries are added in offset order at append time (before the write completes); a read only
 * uses entries that end at or below the high watermark, so nothing unwritten is ever served. A
 * failed write or a truncation drops what it took back.
 *
 * Not thread-safe: event loop only.
 */
interface Entry {
  baseOffset: number;
  /** Offset after the batch. */
  endOffset: number;
  start: number;
  length: number;
}

/** Dropped entries kept before the list is compacted (amortized: a compaction copies <= head). */
const DEAD_ENTRIES_MIN = 16;

export class TailCache {
  private ring: Uint8Array | null = null;
  private entries: Entry[] = [];
  private head = 0;
  /** Where the next batch goes in the ring. */
  private writePos = 0;
  private size = 0;
  private capacity = 0;

  constructor(maxBytes: number) {
    this.capacity = maxBytes;
  }

  get maxBytes(): number {
    return this.capacity;
  }

  /** Changing the size drops the content (and the ring, reallocated on next use). */
  set maxBytes(n: number) {
    if (n === this.capacity) return;
    this.capacity = n;
    this.ring = null;
    this.clear();
  }

  get bytes(): number {
    return this.size;
  }

  /** Entries held in memory: the cached batches plus dropped ones not yet forgotten. */
  get heldEntries(): number {
    return this.entries.length;
  }

  add(baseOffset: number, endOffset: number, bytes: Uint8Array): void {
    const length = bytes.length;
    if (length > this.capacity) {
      this.clear();
      return;
    }
    this.ring ??= new Uint8Array(this.capacity);
    let start = this.writePos;
    if (start + length > this.capacity) {
      // Wrap: everything between here and the end of the ring is older than what follows.
      this.dropFrom(start, this.capacity);
      start = 0;
    }
    this.dropFrom(start, start + length);
    this.ring.set(bytes, start);
    this.entries.push({ baseOffset, endOffset, start, length });
    this.size += length;
    this.writePos = start + length;
    // Forget dropped entries once they are as many as the live ones: with a thousand logs of small
    // batches, up to 1,024 dead entries per log (the old rule) held more memory than the rings.
    if (this.head >= DEAD_ENTRIES_MIN && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops the oldest entries while they overlap [from, to) of the ring. */
  private dropFrom(from: number, to: number): void {
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (e.start >= to || e.start + e.length <= from) return;
      this.size -= e.length;
      this.head++;
    }
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one when
   * `minOneBatch`), never past `highWatermark`; null when the cache does not reach back to
   * `offset` (the caller reads the file).
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, highWatermark: number, alloc: (length: number) => Uint8Array = Buffer.allocUnsafe): Uint8Array | null {
    const entries = this.entries;
    const ring = this.ring;
    if (ring === null || this.head >= entries.length || offset < entries[this.head]!.baseOffset) return null;
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
      if (total + e.length > maxBytes && (total > 0 || !minOneBatch)) break;
      total += e.length;
      last = i + 1;
    }
    // Buffer.allocUnsafe by default: small responses come from Node's pooled slabs and nothing is
    // zero-filled; fetches pass their pooled lease (a fresh ~1 MiB buffer per fetch made V8 run a
    // mark-compact every few tens of MiB served).
    const out = alloc(total); // total 0: not written yet, or does not fit
    let pos = 0;
    for (let i = first; i < last; i++) {
      const e = entries[i]!;
      out.set(ring.subarray(e.start, e.start + e.length), pos);
      pos += e.length;
    }
    return out;
  }

  /** Drops the entries that end at or before `offset` (the cleaner rewrote that part of the log). */
  dropBefore(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.endOffset <= offset) {
      this.size -= this.entries[this.head]!.length;
      this.head++;
    }
  }

  /** Drops entries at or after `offset`. */
  truncateFrom(offset: number): void {
    while (this.entries.length > this.head && this.entries[this.entries.length - 1]!.endOffset > offset) {
      const e = this.entries.pop()!;
      this.size -= e.length;
      this.writePos = e.start;
    }
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.size = 0;
    this.writePos = 0;
  }
}
