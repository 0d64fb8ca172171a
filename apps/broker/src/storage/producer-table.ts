/**
 * ProducerTable: the idempotent producers one partition knows (epoch, last append time, and the
 * last WINDOW batches each wrote), stored in columns of two typed arrays instead of an object per
 * producer and per batch.
 *
 * Why: a broker with 1,000 partitions and 50 idempotent producers holds 50,000 entries. As objects
 * (an entry, its batch array and five batch objects) that was ~540 bytes each, 27 MiB of live
 * heap — the largest thing in the broker's memory, and V8 sizes the old generation in proportion
 * to what is live. Here a producer takes 120 bytes of typed arrays plus its Map entry.
 *
 * Layout of slot `s` (a producer): ints[s * INTS ...] = epoch, head, count, then per batch
 * (firstSeq, lastOffsetDelta, generation); floats[s * FLOATS ...] = lastTimestamp, then per batch
 * baseOffset. The batches of a slot form a ring of WINDOW: batch i (0 = oldest) is at
 * (head + i) % WINDOW. lastSeq and lastOffset follow from the delta (sequences wrap at 2^31 - 1).
 * Freed slots are reused; the arrays grow by doubling and never shrink (a partition's producer
 * count is what it was at its peak until the producers expire and new ones reuse the slots).
 *
 * Not thread-safe: event loop only.
 */
export const WINDOW = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;

const I_EPOCH = 0;
const I_HEAD = 1;
const I_COUNT = 2;
const I_BATCHES = 3;
const INTS_PER_BATCH = 3;
const INTS = I_BATCHES + INTS_PER_BATCH * WINDOW;
const F_TIME = 0;
const F_BATCHES = 1;
const FLOATS = F_BATCHES + WINDOW;
const INITIAL_SLOTS = 2;

export interface StoredBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
  /** Log generation when appended: an acknowledgement waits on the original write. */
  generation: number;
}

export function wrapSequence(seq: number): number {
  return seq > MAX_SEQUENCE ? seq - MAX_SEQUENCE - 1 : seq;
}

export class ProducerTable {
  private readonly slots = new Map<number, number>();
  private ints = new Int32Array(0);
  private floats = new Float64Array(0);
  private readonly free: number[] = [];
  private used = 0;

  /** Producers known. */
  get size(): number {
    return this.slots.size;
  }

  /** Bytes of the columns (what grows with the producers; the Map adds ~30 bytes per producer). */
  get columnBytes(): number {
    return this.ints.byteLength + this.floats.byteLength;
  }

  /** The slot of `producerId`, or -1. */
  slotOf(producerId: number): number {
    return this.slots.get(producerId) ?? -1;
  }

  /** Producer ids and their slots, in insertion order. */
  entries(): IterableIterator<[number, number]> {
    return this.slots.entries();
  }

  /** Starts (or restarts, for a new epoch) `producerId` with no batches. Returns its slot. */
  reset(producerId: number, epoch: number, now: number): number {
    let slot = this.slots.get(producerId);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.newSlot();
      this.slots.set(producerId, slot);
    }
    const i = slot * INTS;
    this.ints[i + I_EPOCH] = epoch;
    this.ints[i + I_HEAD] = 0;
    this.ints[i + I_COUNT] = 0;
    this.floats[slot * FLOATS + F_TIME] = now;
    return slot;
  }

  private newSlot(): number {
    const slot = this.used++;
    if (slot * INTS >= this.ints.length) {
      const capacity = Math.max(INITIAL_SLOTS, slot * 2);
      const ints = new Int32Array(capacity * INTS);
      ints.set(this.ints);
      const floats = new Float64Array(capacity * FLOATS);
      floats.set(this.floats);
      this.ints = ints;
      this.floats = floats;
    }
    return slot;
  }

  remove(producerId: number): void {
    const slot = this.slots.get(producerId);
    if (slot === undefined) return;
    this.slots.delete(producerId);
    this.free.push(slot);
  }

  clear(): void {
    this.slots.clear();
    this.free.length = 0;
    this.used = 0;
  }

  epoch(slot: number): number {
    return this.ints[slot * INTS + I_EPOCH]!;
  }

  lastTimestamp(slot: number): number {
    return this.floats[slot * FLOATS + F_TIME]!;
  }

  /** Batches held for the producer (at most WINDOW). */
  count(slot: number): number {
    return this.ints[slot * INTS + I_COUNT]!;
  }

  /** Ring position of batch `i` (0 = oldest). */
  private at(slot: number, i: number): number {
    return (this.ints[slot * INTS + I_HEAD]! + i) % WINDOW;
  }

  firstSeq(slot: number, i: number): number {
    return this.ints[slot * INTS + I_BATCHES + this.at(slot, i) * INTS_PER_BATCH]!;
  }

  lastSeq(slot: number, i: number): number {
    const b = slot * INTS + I_BATCHES + this.at(slot, i) * INTS_PER_BATCH;
    return wrapSequence(this.ints[b]! + this.ints[b + 1]!);
  }

  baseOffset(slot: number, i: number): number {
    return this.floats[slot * FLOATS + F_BATCHES + this.at(slot, i)]!;
  }

  batch(slot: number, i: number): StoredBatch {
    const r = this.at(slot, i);
    const b = slot * INTS + I_BATCHES + r * INTS_PER_BATCH;
    const baseOffset = this.floats[slot * FLOATS + F_BATCHES + r]!;
    const firstSeq = this.ints[b]!;
    const delta = this.ints[b + 1]!;
    return { firstSeq, lastSeq: wrapSequence(firstSeq + delta), baseOffset, lastOffset: baseOffset + delta, generation: this.ints[b + 2]! };
  }

  /** Appends a batch of `lastOffsetDelta + 1` records, dropping the oldest past WINDOW. */
  push(slot: number, firstSeq: number, lastOffsetDelta: number, baseOffset: number, generation: number, now: number): void {
    const i = slot * INTS;
    let count = this.ints[i + I_COUNT]!;
    if (count === WINDOW) {
      this.ints[i + I_HEAD] = (this.ints[i + I_HEAD]! + 1) % WINDOW;
      count--;
    }
    const r = this.at(slot, count);
    const b = i + I_BATCHES + r * INTS_PER_BATCH;
    this.ints[b] = firstSeq;
    this.ints[b + 1] = lastOffsetDelta;
    this.ints[b + 2] = generation;
    this.floats[slot * FLOATS + F_BATCHES + r] = baseOffset;
    this.ints[i + I_COUNT] = count + 1;
    this.floats[slot * FLOATS + F_TIME] = now;
  }

  /** Keeps the first `n` (oldest) batches of the slot. */
  keepOldest(slot: number, n: number): void {
    const i = slot * INTS + I_COUNT;
    if (n < this.ints[i]!) this.ints[i] = n;
  }
}
