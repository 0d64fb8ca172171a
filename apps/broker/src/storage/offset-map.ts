/**
 * OffsetMap: the log cleaner's key -> latest offset map, in a fixed amount of memory.
 *
 * Layout: one ArrayBuffer of `capacity` slots, 24 bytes each: the key's MD5 (16 bytes, as in
 * Kafka's SkimpyOffsetMap) and the offset (float64; offsets are safe integers). Open addressing
 * with linear probing; a slot is empty when its offset is -1. The map stops accepting new keys at
 * `maxLoad` of capacity (isFull), which is how the cleaner knows to clean in several passes.
 *
 * Not thread-safe; used inside the cleaner worker only.
 */
import { createHash } from 'node:crypto';

const SLOT = 24;
const HASH = 16;

export class OffsetMap {
  readonly capacity: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private entries = 0;
  private readonly maxEntries: number;

  constructor(memoryBytes: number, maxLoad = 0.9) {
    this.capacity = Math.max(16, Math.floor(memoryBytes / SLOT));
    this.bytes = new Uint8Array(this.capacity * SLOT);
    this.view = new DataView(this.bytes.buffer);
    this.maxEntries = Math.floor(this.capacity * maxLoad);
    this.clear();
  }

  get size(): number {
    return this.entries;
  }

  /** True when no new key can be added (existing keys can still be updated). */
  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  clear(): void {
    for (let i = 0; i < this.capacity; i++) this.view.setFloat64(i * SLOT + HASH, -1);
    this.entries = 0;
  }

  private static hash(key: Uint8Array): Uint8Array {
    return createHash('md5').update(key).digest();
  }

  /** Slot of `hash`: where it is, or the empty slot where it would go. */
  private slotOf(hash: Uint8Array): number {
    let slot = ((hash[0]! << 24) | (hash[1]! << 16) | (hash[2]! << 8) | hash[3]!) >>> 0;
    slot %= this.capacity;
    for (;;) {
      const base = slot * SLOT;
      if (this.view.getFloat64(base + HASH) < 0) return slot;
      let same = true;
      for (let i = 0; i < HASH; i++) {
        if (this.bytes[base + i] !== hash[i]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
      slot = slot + 1 === this.capacity ? 0 : slot + 1;
    }
  }

  /**
   * Records that `key` occurs at `offset` (a later offset replaces an earlier one). Returns false
   * when the key is new and the map is full.
   */
  put(key: Uint8Array, offset: number): boolean {
    const hash = OffsetMap.hash(key);
    const slot = this.slotOf(hash);
    const base = slot * SLOT;
    const existing = this.view.getFloat64(base + HASH);
    if (existing < 0) {
      if (this.isFull) return false;
      this.bytes.set(hash, base);
      this.entries++;
    }
    if (offset > existing) this.view.setFloat64(base + HASH, offset);
    return true;
  }

  /** Latest offset of `key`, or -1 when the key is not in the map. */
  get(key: Uint8Array): number {
    const base = this.slotOf(OffsetMap.hash(key)) * SLOT;
    return this.view.getFloat64(base + HASH);
  }
}
