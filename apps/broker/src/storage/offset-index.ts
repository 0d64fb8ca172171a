/**
 * OffsetIndex: sparse map from offset to byte position in one segment's .log file.
 *
 * File `<baseOffset>.index`: 8-byte entries, big-endian: relative offset (uint32, offset minus the
 * segment's base offset) then position (uint32). One entry for the first batch written after more
 * than `index.interval.bytes` since the previous entry; the entry names that batch's base offset
 * and start position. lookup(offset) returns the position of the closest indexed batch at or
 * before `offset`; the reader scans forward from there. Strictly increasing in both fields.
 * Rebuilt from the log after a crash (see IndexFile).
 */
import { CorruptIndexError, IndexFile } from './index-file';

const ENTRY = 8;

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number, fresh: boolean) {
    super(path, baseOffset, ENTRY, fresh);
  }

  protected keyAt(i: number): number {
    return this.buf.readUInt32BE(i * ENTRY);
  }

  private positionAt(i: number): number {
    return this.buf.readUInt32BE(i * ENTRY + 4);
  }

  /** Adds an entry; ignored when not beyond the last one (idempotent during rebuilds). */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.count > 0 && (rel <= this.keyAt(this.count - 1) || position <= this.positionAt(this.count - 1))) return;
    this.ensureCapacity();
    this.buf.writeUInt32BE(rel, this.count * ENTRY);
    this.buf.writeUInt32BE(position, this.count * ENTRY + 4);
    this.count++;
  }

  /** Position of the last indexed batch starting at or before `offset` (0 when none). Index must be loaded. */
  lookup(offset: number): number {
    const i = this.floorIndex(offset - this.baseOffset);
    return i < 0 ? 0 : this.positionAt(i);
  }

  /** The last entry at or before `offset`, or null when there is none (scan from position 0). Index must be loaded. */
  lookupEntry(offset: number): { offset: number; position: number } | null {
    const i = this.floorIndex(offset - this.baseOffset);
    return i < 0 ? null : { offset: this.baseOffset + this.keyAt(i), position: this.positionAt(i) };
  }

  /** The entry whose position is exactly `position`, or null. Index must be loaded. */
  entryAt(position: number): { offset: number; position: number } | null {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.positionAt(mid);
      if (p === position) return { offset: this.baseOffset + this.keyAt(mid), position: p };
      if (p < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** The entries whose positions lie in [from, to), in order. Index must be loaded. */
  entriesIn(from: number, to: number): Array<{ offset: number; position: number }> {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positionAt(mid) < from) lo = mid + 1;
      else hi = mid;
    }
    const out: Array<{ offset: number; position: number }> = [];
    for (let i = lo; i < this.count && this.positionAt(i) < to; i++) out.push({ offset: this.baseOffset + this.keyAt(i), position: this.positionAt(i) });
    return out;
  }

  /** Every entry, in order (verification; the index must be loaded). */
  allEntries(): Array<{ offset: number; position: number }> {
    return Array.from({ length: this.count }, (_, i) => ({ offset: this.baseOffset + this.keyAt(i), position: this.positionAt(i) }));
  }

  /** The last entry, or null. */
  lastEntry(): { offset: number; position: number } | null {
    if (this.count === 0) return null;
    return { offset: this.baseOffset + this.keyAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  /** Drops entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    this.truncateEntries(this.floorIndex(offset - this.baseOffset - 1) + 1);
  }

  /** Drops entries whose position is >= `position`. */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.positionAt(n - 1) >= position) n--;
    this.truncateEntries(n);
  }

  protected sanityCheck(): void {
    for (let i = 1; i < this.count; i++) {
      if (this.keyAt(i) <= this.keyAt(i - 1) || this.positionAt(i) <= this.positionAt(i - 1)) {
        throw new CorruptIndexError(this.path, `entry ${i} is not after entry ${i - 1}`);
      }
    }
  }

  /** Checks that no entry points past `logSize` bytes. */
  checkAgainstLogSize(logSize: number): void {
    if (this.count > 0 && this.positionAt(this.count - 1) >= logSize) {
      throw new CorruptIndexError(this.path, `last entry points at ${this.positionAt(this.count - 1)}, past the log size ${logSize}`);
    }
  }
}
