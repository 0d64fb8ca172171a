/**
 * TimeIndex: sparse map from timestamp to offset in one segment.
 *
 * File `<baseOffset>.timeindex`: 12-byte entries, big-endian: timestamp (int64, ms since epoch)
 * then relative offset (uint32). An entry is added alongside an offset-index entry whenever the
 * largest timestamp seen in the segment has grown since the last entry; it names that timestamp
 * and the offset of the batch that carried it. Strictly increasing in timestamp.
 * lookup(ts) returns the offset to start scanning from for the first record with timestamp >= ts.
 * Rebuilt from the log after a crash (see IndexFile).
 */
import { CorruptIndexError, IndexFile } from './index-file';

const ENTRY = 12;
const TWO_32 = 4294967296;

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, fresh: boolean) {
    super(path, baseOffset, ENTRY, fresh);
  }

  protected keyAt(i: number): number {
    const p = i * ENTRY;
    return this.buf.readInt32BE(p) * TWO_32 + this.buf.readUInt32BE(p + 4);
  }

  private offsetAt(i: number): number {
    return this.baseOffset + this.buf.readUInt32BE(i * ENTRY + 8);
  }

  append(timestamp: number, offset: number): void {
    if (this.count > 0 && (timestamp <= this.keyAt(this.count - 1) || offset < this.offsetAt(this.count - 1))) return;
    this.ensureCapacity();
    const p = this.count * ENTRY;
    const hi = Math.floor(timestamp / TWO_32);
    this.buf.writeInt32BE(hi, p);
    this.buf.writeUInt32BE(timestamp - hi * TWO_32, p + 4);
    this.buf.writeUInt32BE(offset - this.baseOffset, p + 8);
    this.count++;
  }

  /**
   * Offset of the last entry with timestamp < `timestamp` (records before it all have smaller
   * timestamps up to that point), or the segment's base offset. Index must be loaded.
   */
  lookup(timestamp: number): number {
    const i = this.floorIndex(timestamp - 1);
    return i < 0 ? this.baseOffset : this.offsetAt(i);
  }

  lastEntry(): { timestamp: number; offset: number } | null {
    if (this.count === 0) return null;
    return { timestamp: this.keyAt(this.count - 1), offset: this.offsetAt(this.count - 1) };
  }

  /** Drops entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.offsetAt(n - 1) >= offset) n--;
    this.truncateEntries(n);
  }

  protected sanityCheck(): void {
    for (let i = 1; i < this.count; i++) {
      if (this.keyAt(i) <= this.keyAt(i - 1) || this.offsetAt(i) < this.offsetAt(i - 1)) {
        throw new CorruptIndexError(this.path, `entry ${i} is not after entry ${i - 1}`);
      }
    }
  }
}
