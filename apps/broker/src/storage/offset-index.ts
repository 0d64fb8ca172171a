/**
 * OffsetIndex: sparse map from offset to byte position in one segment's .log file.
 *
 * File `<baseOffset>.index`: 8-byte entries, big-endian: relative offset (uint32, offset minus the
 * segment's base offset) then position (uint32). One entry for the first batch written after more
 * than `index.interval.bytes` since the previous entry; the entry names that batch's base offset
 * and start position. lookupEntry(offset) returns the closest indexed batch at or before `offset`;
 * the reader scans forward from there. Strictly increasing in both fields. Rebuilt from the log
 * after a crash; only a bounded part stays in memory (see IndexFile).
 */
import { CorruptIndexError, IndexFile } from './index-file';

const ENTRY = 8;

const keyOf = (buf: Buffer, at: number) => buf.readUInt32BE(at);
const positionOf = (buf: Buffer, at: number) => buf.readUInt32BE(at + 4);

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number, fresh: boolean) {
    super(path, baseOffset, ENTRY, fresh);
  }

  protected follows(prev: Buffer, prevAt: number, next: Buffer, nextAt: number): boolean {
    return keyOf(next, nextAt) > keyOf(prev, prevAt) && positionOf(next, nextAt) > positionOf(prev, prevAt);
  }

  /** Adds an entry; ignored when not beyond the last one (idempotent during rebuilds). */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const last = this.last();
    if (last && (rel <= keyOf(last.buf, last.at) || position <= positionOf(last.buf, last.at))) return;
    this.push((buf, at) => {
      buf.writeUInt32BE(rel, at);
      buf.writeUInt32BE(position, at + 4);
    });
  }

  /** The last entry at or before `offset`, or null when there is none (scan from position 0). Index must be loaded. */
  async lookupEntry(offset: number): Promise<{ offset: number; position: number } | null> {
    const rel = offset - this.baseOffset;
    const e = await this.floor((buf, at) => keyOf(buf, at) <= rel);
    return e ? { offset: this.baseOffset + keyOf(e.buf, e.at), position: positionOf(e.buf, e.at) } : null;
  }

  /** The entry whose position is exactly `position`, or null. Index must be loaded. */
  async entryAt(position: number): Promise<{ offset: number; position: number } | null> {
    const e = await this.floor((buf, at) => positionOf(buf, at) <= position);
    return e && positionOf(e.buf, e.at) === position ? { offset: this.baseOffset + keyOf(e.buf, e.at), position } : null;
  }

  /** The entries whose positions lie in [from, to), in order. Index must be loaded. */
  async entriesIn(from: number, to: number): Promise<Array<{ offset: number; position: number }>> {
    const out: Array<{ offset: number; position: number }> = [];
    const first = await this.countWhile((buf, at) => positionOf(buf, at) < from);
    await this.walkFrom(first, (buf, at) => {
      const position = positionOf(buf, at);
      if (position >= to) return false;
      out.push({ offset: this.baseOffset + keyOf(buf, at), position });
      return true;
    });
    return out;
  }

  /** Every entry, in order (verification; the index must be loaded). */
  async allEntries(): Promise<Array<{ offset: number; position: number }>> {
    const out: Array<{ offset: number; position: number }> = [];
    await this.forEach((buf, at) => out.push({ offset: this.baseOffset + keyOf(buf, at), position: positionOf(buf, at) }));
    return out;
  }

  /** The last entry, or null. */
  lastEntry(): { offset: number; position: number } | null {
    const e = this.last();
    return e ? { offset: this.baseOffset + keyOf(e.buf, e.at), position: positionOf(e.buf, e.at) } : null;
  }

  /** Drops entries for offsets >= `offset`. */
  async truncateToOffset(offset: number): Promise<void> {
    const rel = offset - this.baseOffset;
    await this.truncateEntries(await this.countWhile((buf, at) => keyOf(buf, at) < rel));
  }

  /** Drops entries whose position is >= `position`. */
  async truncateToPosition(position: number): Promise<void> {
    await this.truncateEntries(await this.countWhile((buf, at) => positionOf(buf, at) < position));
  }

  /** Checks that no entry points past `logSize` bytes. */
  checkAgainstLogSize(logSize: number): void {
    const e = this.last();
    if (e && positionOf(e.buf, e.at) >= logSize) {
      throw new CorruptIndexError(this.path, `last entry points at ${positionOf(e.buf, e.at)}, past the log size ${logSize}`);
    }
  }
}
