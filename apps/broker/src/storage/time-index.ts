/**
 * TimeIndex: sparse map from timestamp to offset in one segment.
 *
 * File `<baseOffset>.timeindex`: 12-byte entries, big-endian: timestamp (int64, ms since epoch)
 * then relative offset (uint32). An entry is added alongside an offset-index entry whenever the
 * largest timestamp seen in the segment has grown since the last entry; it names that timestamp
 * and the offset of the batch that carried it. Strictly increasing in timestamp.
 * lookup(ts) returns the offset to start scanning from for the first record with timestamp >= ts.
 * Rebuilt from the log after a crash; only a bounded part stays in memory (see IndexFile).
 */
import { IndexFile } from './index-file';

const ENTRY = 12;
const TWO_32 = 4294967296;

const timestampOf = (buf: Buffer, at: number) => buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
const relativeOffsetOf = (buf: Buffer, at: number) => buf.readUInt32BE(at + 8);

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, fresh: boolean) {
    super(path, baseOffset, ENTRY, fresh);
  }

  protected follows(prev: Buffer, prevAt: number, next: Buffer, nextAt: number): boolean {
    return timestampOf(next, nextAt) > timestampOf(prev, prevAt) && relativeOffsetOf(next, nextAt) >= relativeOffsetOf(prev, prevAt);
  }

  append(timestamp: number, offset: number): void {
    const last = this.last();
    if (last && (timestamp <= timestampOf(last.buf, last.at) || offset < this.baseOffset + relativeOffsetOf(last.buf, last.at))) return;
    const hi = Math.floor(timestamp / TWO_32);
    this.push((buf, at) => {
      buf.writeInt32BE(hi, at);
      buf.writeUInt32BE(timestamp - hi * TWO_32, at + 4);
      buf.writeUInt32BE(offset - this.baseOffset, at + 8);
    });
  }

  /**
   * Offset of the last entry with timestamp < `timestamp` (records before it all have smaller
   * timestamps up to that point), or the segment's base offset. Index must be loaded.
   */
  async lookup(timestamp: number): Promise<number> {
    const e = await this.floor((buf, at) => timestampOf(buf, at) <= timestamp - 1);
    return e ? this.baseOffset + relativeOffsetOf(e.buf, e.at) : this.baseOffset;
  }

  lastEntry(): { timestamp: number; offset: number } | null {
    const e = this.last();
    return e ? { timestamp: timestampOf(e.buf, e.at), offset: this.baseOffset + relativeOffsetOf(e.buf, e.at) } : null;
  }

  /** Drops entries for offsets >= `offset`. */
  async truncateToOffset(offset: number): Promise<void> {
    const rel = offset - this.baseOffset;
    await this.truncateEntries(await this.countWhile((buf, at) => relativeOffsetOf(buf, at) < rel));
  }
}
