/**
 * TailCache: copies of a log's most recently appended batches, so that consumers reading at the
 * end of the log (the common case) are answered from memory, without a read on the thread pool.
 *
 * Layout: one ring buffer (most of `maxBytes`), allocated on first use, and a circular list of
 * entries (offset range, position in the ring) kept in two typed-array columns, in offset order.
 * Appending copies the batch into the ring after the previous one — no allocation per batch, so
 * the cache adds no garbage-collection work — and drops the oldest entries it overwrites; a batch
 * that does not fit before the end of the ring starts again at its beginning.
 *
 * Memory: `maxBytes` bounds everything the cache holds. An entry costs 24 bytes of columns (an
 * object per entry, as before, cost ~70 bytes of heap, twice over while dropped ones waited to be
 * compacted: ~15 KiB per log of small batches, 15 MiB for 1,000 logs, outside any budget). The
 * cache holds at most one entry per 256 bytes of ring, and the ring gets what the columns of that
 * many entries leave of `maxBytes` (256/280 of it); with smaller batches it holds fewer bytes. Reads
 * copy the entries they return out of the ring, because later appends may overwrite it while a
 * response is being built.
 *
 * Entries are added in offset order at append time (before the write completes); a read only
 * uses entries that end at or below the high watermark, so nothing unwritten is ever served. A
 * failed write or a truncation drops what it took back.
 *
 * Not thread-safe: event loop only.
 */

/** Entry slots allocated on first use; the columns double when full, up to the entry limit. */
const INITIAL_ENTRIES = 16;
/** Bytes of column per entry (two float64 offsets, two int32 ring positions). */
const ENTRY_BYTES = 24;
/** The cache holds at most one batch per this many bytes of ring (smaller batches: fewer bytes). */
const RING_BYTES_PER_ENTRY = 256;

export class TailCache {
  private ring: Uint8Array | null = null;
  /** Per entry slot: base offset and end offset (the offset after the batch). */
  private offsets = new Float64Array(0);
  /** Per entry slot: start in the ring and length. */
  private spans = new Int32Array(0);
  /** Slot of the oldest live entry; live entries are the `count` slots from there, circularly. */
  private head = 0;
  private count = 0;
  /** Where the next batch goes in the ring. */
  private writePos = 0;
  private size = 0;
  private budget = 0;
  /** Ring size: what the budget leaves after the columns of `maxEntries` entries. */
  private capacity = 0;
  private maxEntries = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Memory the cache may hold: ring plus entry columns. */
  get maxBytes(): number {
    return this.budget;
  }

  /** Changing the size drops the content (and the ring and entry columns, reallocated on next use). */
  set maxBytes(n: number) {
    if (n === this.budget) return;
    this.budget = n;
    this.capacity = Math.floor((n * RING_BYTES_PER_ENTRY) / (RING_BYTES_PER_ENTRY + ENTRY_BYTES));
    this.maxEntries = Math.floor(this.capacity / RING_BYTES_PER_ENTRY);
    this.ring = null;
    this.offsets = new Float64Array(0);
    this.spans = new Int32Array(0);
    this.clear();
  }

  get bytes(): number {
    return this.size;
  }

  /** Batches held (live entries). */
  get heldEntries(): number {
    return this.count;
  }

  /** Bytes of memory the cache holds: the ring plus the entry columns. */
  get memoryBytes(): number {
    return (this.ring?.byteLength ?? 0) + this.offsets.byteLength + this.spans.byteLength;
  }

  /** Slot of live entry `i` (0 = oldest). */
  private slot(i: number): number {
    const n = this.spans.length >> 1;
    const s = this.head + i;
    return s >= n ? s - n : s;
  }

  private baseOf(i: number): number {
    return this.offsets[this.slot(i) * 2]!;
  }

  private endOf(i: number): number {
    return this.offsets[this.slot(i) * 2 + 1]!;
  }

  private startOf(i: number): number {
    return this.spans[this.slot(i) * 2]!;
  }

  private lengthOf(i: number): number {
    return this.spans[this.slot(i) * 2 + 1]!;
  }

  /** Doubles the entry columns (up to maxEntries), laying the live entries out from slot 0. */
  private grow(): void {
    const slots = Math.min(this.maxEntries, Math.max(INITIAL_ENTRIES, (this.spans.length >> 1) * 2));
    const offsets = new Float64Array(slots * 2);
    const spans = new Int32Array(slots * 2);
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      offsets[i * 2] = this.offsets[s * 2]!;
      offsets[i * 2 + 1] = this.offsets[s * 2 + 1]!;
      spans[i * 2] = this.spans[s * 2]!;
      spans[i * 2 + 1] = this.spans[s * 2 + 1]!;
    }
    this.offsets = offsets;
    this.spans = spans;
    this.head = 0;
  }

  add(baseOffset: number, endOffset: number, bytes: Uint8Array): void {
    const length = bytes.length;
    if (length > this.capacity || this.maxEntries === 0) {
      this.clear();
      return;
    }
    if (this.count === this.maxEntries) this.dropOldest();
    this.ring ??= new Uint8Array(this.capacity);
    let start = this.writePos;
    if (start + length > this.capacity) {
      // Wrap: everything between here and the end of the ring is older than what follows.
      this.dropFrom(start, this.capacity);
      start = 0;
    }
    this.dropFrom(start, start + length);
    this.ring.set(bytes, start);
    if (this.count === this.spans.length >> 1) this.grow();
    const s = this.slot(this.count) * 2;
    this.offsets[s] = baseOffset;
    this.offsets[s + 1] = endOffset;
    this.spans[s] = start;
    this.spans[s + 1] = length;
    this.count++;
    this.size += length;
    this.writePos = start + length;
  }

  /** Drops the oldest entries while they overlap [from, to) of the ring. */
  private dropFrom(from: number, to: number): void {
    while (this.count > 0) {
      const start = this.startOf(0);
      const length = this.lengthOf(0);
      if (start >= to || start + length <= from) return;
      this.dropOldest();
    }
  }

  private dropOldest(): void {
    this.size -= this.lengthOf(0);
    this.head = this.slot(1);
    this.count--;
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one when
   * `minOneBatch`), never past `highWatermark`; null when the cache does not reach back to
   * `offset` (the caller reads the file).
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, highWatermark: number, alloc: (length: number) => Uint8Array = Buffer.allocUnsafe): Uint8Array | null {
    const ring = this.ring;
    if (ring === null || this.count === 0 || offset < this.baseOf(0)) return null;
    let lo = 0;
    let hi = this.count - 1;
    let first = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.endOf(mid) > offset) {
        first = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (first < 0) return null;
    let total = 0;
    let last = first;
    for (let i = first; i < this.count; i++) {
      const length = this.lengthOf(i);
      if (this.endOf(i) > highWatermark) break;
      if (total + length > maxBytes && (total > 0 || !minOneBatch)) break;
      total += length;
      last = i + 1;
    }
    // Buffer.allocUnsafe by default: small responses come from Node's pooled slabs and nothing is
    // zero-filled; fetches pass their pooled lease (a fresh ~1 MiB buffer per fetch made V8 run a
    // mark-compact every few tens of MiB served).
    const out = alloc(total); // total 0: not written yet, or does not fit
    let pos = 0;
    for (let i = first; i < last; i++) {
      const start = this.startOf(i);
      const length = this.lengthOf(i);
      out.set(ring.subarray(start, start + length), pos);
      pos += length;
    }
    return out;
  }

  /** Drops the entries that end at or before `offset` (the cleaner rewrote that part of the log). */
  dropBefore(offset: number): void {
    while (this.count > 0 && this.endOf(0) <= offset) this.dropOldest();
  }

  /** Drops entries at or after `offset`. */
  truncateFrom(offset: number): void {
    while (this.count > 0 && this.endOf(this.count - 1) > offset) {
      const i = this.count - 1;
      this.size -= this.lengthOf(i);
      this.writePos = this.startOf(i);
      this.count--;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.size = 0;
    this.writePos = 0;
  }
}
