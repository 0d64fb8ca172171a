/**
 * Base of OffsetIndex and TimeIndex: an append-only array of fixed-size big-endian entries, kept
 * in memory and mirrored to a file.
 *
 * Invariants: entries are strictly increasing in their key; `flushedCount <= count`; the file
 * holds at least the first `flushedCount` entries. The file lags memory: new entries reach it on
 * flush() (at checkpoints, segment roll and close), not on every append. After a crash, indexes of
 * segments past the recovery point are rebuilt from the log, so a lagging or torn index file is
 * never trusted there; indexes of older segments were fsynced by the checkpoint that passed them.
 *
 * Closed segments load their index lazily on first lookup. Not thread-safe: event loop only.
 */
import * as fs from 'node:fs';
import { closeFile, fdatasync, ftruncate, openFile, readFileIfExists, writevAll } from '../util/fs-io';

export class CorruptIndexError extends Error {
  constructor(path: string, reason: string) {
    super(`index ${path} is corrupt: ${reason}`);
    this.name = 'CorruptIndexError';
  }
}

export abstract class IndexFile {
  protected buf: Buffer;
  protected count = 0;
  private flushedCount = 0;
  private dirtySinceSync = false;
  /** Set when the segment leaves its log: the file may soon hold another segment's index. */
  private abandoned = false;
  private loaded: boolean;
  private loading: Promise<void> | null = null;
  private flushChain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly baseOffset: number,
    protected readonly entrySize: number,
    /** True for a new, empty index; false to load `path` lazily. */
    fresh: boolean,
  ) {
    this.buf = Buffer.alloc(entrySize * 64);
    this.loaded = fresh;
  }

  get entries(): number {
    return this.count;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Loads the file if it is not in memory yet, checking it with sanityCheck(). */
  ensureLoaded(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    const data = (await readFileIfExists(this.path)) ?? Buffer.alloc(0);
    if (data.length % this.entrySize !== 0) {
      throw new CorruptIndexError(this.path, `size ${data.length} is not a multiple of ${this.entrySize}`);
    }
    this.buf = data.length > 0 ? data : Buffer.alloc(this.entrySize * 64);
    this.count = data.length / this.entrySize;
    this.flushedCount = this.count;
    this.sanityCheck();
    this.loaded = true;
  }

  /** Throws CorruptIndexError when the entries are not strictly increasing or out of range. */
  protected abstract sanityCheck(): void;

  protected ensureCapacity(): void {
    if ((this.count + 1) * this.entrySize <= this.buf.length) return;
    const next = Buffer.alloc(this.buf.length * 2);
    this.buf.copy(next, 0, 0, this.count * this.entrySize);
    this.buf = next;
  }

  /** Drops entries from index `n` on (memory and, on next flush, file). */
  protected truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.flushedCount > n) this.flushedCount = -1; // file must be rewritten from `n`
  }

  /** Removes every entry; the next flush empties the file. */
  reset(): void {
    this.count = 0;
    this.flushedCount = -1;
    this.loaded = true;
  }

  /** Writes entries not yet in the file. Does not fsync. Calls are serialized. */
  flush(): Promise<void> {
    return this.serialized(() => this.write(false));
  }

  /** Flushes and fsyncs the file. */
  sync(): Promise<void> {
    return this.serialized(() => this.write(true));
  }

  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.flushChain.then(fn);
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops all writes to the file, after any write already in flight. A segment leaving its log
   * calls this before its files are renamed: the path may then name another segment's index
   * (a cleaned segment has the same base offset), which must never be written from here.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await this.flushChain;
  }

  /** Opens the file only for the write: an index holds no descriptor between flushes. */
  private async write(fsync: boolean): Promise<void> {
    if (!this.loaded || this.abandoned) return;
    if (this.flushedCount === this.count && !(fsync && this.dirtySinceSync)) return;
    const fd = await openFile(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      if (this.flushedCount < 0) {
        await ftruncate(fd, 0);
        this.flushedCount = 0;
      }
      const from = this.flushedCount * this.entrySize;
      const to = this.count * this.entrySize;
      const target = this.count;
      if (to > from) {
        // Copy: the in-memory buffer may be replaced or truncated while the write is in flight.
        await writevAll(fd, [Buffer.from(this.buf.subarray(from, to))], from);
      }
      await ftruncate(fd, to);
      this.flushedCount = Math.min(target, this.count);
      this.dirtySinceSync = true;
      if (fsync) {
        await fdatasync(fd);
        this.dirtySinceSync = false;
      }
    } finally {
      await closeFile(fd);
    }
  }

  /** Flushes to the file; the index stays usable. */
  async close(): Promise<void> {
    await this.sync();
  }

  /** Frees memory of an index whose file is complete; it reloads lazily. */
  async unload(): Promise<void> {
    await this.close();
    this.buf = Buffer.alloc(0);
    this.count = 0;
    this.flushedCount = 0;
    this.loaded = false;
    this.loading = null;
  }

  async deleteFile(): Promise<void> {
    await this.flushChain;
    await fs.promises.rm(this.path, { force: true });
  }

  /** Index of the last entry whose key is <= `key`, or -1. Keys are read by `keyAt`. */
  protected floorIndex(key: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyAt(mid) <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  protected abstract keyAt(i: number): number;
}
