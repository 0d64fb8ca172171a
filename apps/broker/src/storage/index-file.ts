/**
 * Base of OffsetIndex and TimeIndex: an append-only array of fixed-size big-endian entries,
 * mirrored to a file, of which only a bounded part is kept in memory.
 *
 * Memory: entries are grouped in blocks of BLOCK_ENTRIES. Memory holds the *tail* — the entries
 * from the start of a block to the end, which include every entry not yet in the file — plus a
 * *summary*: a copy of the first entry of every block before the tail. A lookup that lands before
 * the tail finds its block in the summary and reads that one block from the file (the last block
 * read stays cached). Whole blocks leave the tail once they are in the file, and a background
 * flush starts whenever BLOCK_ENTRIES entries are waiting, so an index holds about two blocks
 * plus its summary (1/BLOCK_ENTRIES of the file) however large its segment grows. (Before, the
 * whole index stayed in memory: 5 MiB for a full 1 GiB segment at index.interval.bytes 4096, per
 * partition, growing for as long as the active segment did.)
 *
 * Invariants: entries are strictly increasing in their key; `tailStart` is a multiple of
 * BLOCK_ENTRIES and `tailStart <= flushedCount <= count`; the file holds at least the first
 * `flushedCount` entries (entries past `count` too, after a truncation, until the next write cuts
 * them); the tail holds the last entry whenever there is one. The file lags memory: new entries
 * reach it on flush() (at checkpoints, segment roll, close, and in the background as above). After
 * a crash, indexes of segments past the recovery point are rebuilt from the log, so a lagging or
 * torn index file is never trusted there; indexes of older segments were fsynced by the
 * checkpoint that passed them.
 *
 * Closed segments load their index lazily on first lookup (one pass over the file, checking the
 * order of every entry, keeping the summary and the last block). Not thread-safe: event loop
 * only; lookups may run concurrently with appends and flushes (a lookup whose block read straddles
 * a truncation searches again), truncations must not run concurrently with appends (the Log
 * truncates when idle).
 */
import * as fs from 'node:fs';
import { closeFile, fdatasync, fstatSize, ftruncate, openFile, writevAll } from '../util/fs-io';

export class CorruptIndexError extends Error {
  constructor(path: string, reason: string) {
    super(`index ${path} is corrupt: ${reason}`);
    this.name = 'CorruptIndexError';
  }
}

/** Entries per block: the unit kept in or dropped from memory, and read back from the file. */
export const BLOCK_ENTRIES = 256;
const INITIAL_TAIL_ENTRIES = 16;
/** Blocks read per file read while loading an index. */
const LOAD_CHUNK_BLOCKS = 32;
const EMPTY = Buffer.alloc(0);

/** Where an entry's bytes are: read them at once (the buffer may change after the next await). */
export interface EntryRef {
  /** Index of the entry in the whole index. */
  index: number;
  buf: Buffer;
  at: number;
}

/** Decides, for an entry, whether it is at or before the target (true, ..., true, false, ..., false). */
export type EntryPredicate = (buf: Buffer, at: number) => boolean;

export abstract class IndexFile {
  /** Entries [tailStart, count), entry i at (i - tailStart) * entrySize. */
  private tail: Buffer = EMPTY;
  private tailStart = 0;
  /** First entry of each block before the tail: (tailStart / BLOCK_ENTRIES) entries. */
  private summary: Buffer = EMPTY;
  private count = 0;
  private flushedCount = 0;
  /** The file may hold entries past `count` (after a truncation): the next write cuts it. */
  private fileTooLong = false;
  /** Bumped by every truncation: a block read or a write begun before one is stale. */
  private truncations = 0;
  private cached: { block: number; truncations: number; bytes: Buffer } | null = null;
  private backgroundFlush = false;
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
    this.loaded = fresh;
  }

  get entries(): number {
    return this.count;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Bytes of memory the index holds: tail, summary and the cached block. */
  get memoryBytes(): number {
    return this.tail.byteLength + this.summary.byteLength + (this.cached?.bytes.byteLength ?? 0);
  }

  /** True when `next` may follow `prev` (both `entrySize` bytes at the given positions). */
  protected abstract follows(prev: Buffer, prevAt: number, next: Buffer, nextAt: number): boolean;

  /** Loads the file if it is not in memory yet, checking the order of its entries. */
  ensureLoaded(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    const size = this.entrySize;
    let fd: number;
    try {
      fd = await openFile(this.path, fs.constants.O_RDONLY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.setLoaded(EMPTY, 0, EMPTY, 0);
      return;
    }
    try {
      const bytes = await fstatSize(fd);
      if (bytes % size !== 0) throw new CorruptIndexError(this.path, `size ${bytes} is not a multiple of ${size}`);
      const n = bytes / size;
      const tailStart = n === 0 ? 0 : Math.floor((n - 1) / BLOCK_ENTRIES) * BLOCK_ENTRIES;
      const summary = Buffer.alloc((tailStart / BLOCK_ENTRIES) * size);
      const tail = Buffer.alloc(Math.max(INITIAL_TAIL_ENTRIES, n - tailStart) * size);
      const chunk = Buffer.allocUnsafeSlow(Math.min(n, LOAD_CHUNK_BLOCKS * BLOCK_ENTRIES) * size);
      const prev = Buffer.alloc(size);
      for (let first = 0; first < n; first += LOAD_CHUNK_BLOCKS * BLOCK_ENTRIES) {
        const m = Math.min(LOAD_CHUNK_BLOCKS * BLOCK_ENTRIES, n - first);
        await this.readExactly(fd, chunk, m * size, first * size);
        for (let j = 0; j < m; j++) {
          const i = first + j;
          const at = j * size;
          if (i > 0 && !this.follows(prev, 0, chunk, at)) throw new CorruptIndexError(this.path, `entry ${i} is not after entry ${i - 1}`);
          chunk.copy(prev, 0, at, at + size);
          if (i >= tailStart) chunk.copy(tail, (i - tailStart) * size, at, at + size);
          else if (i % BLOCK_ENTRIES === 0) chunk.copy(summary, (i / BLOCK_ENTRIES) * size, at, at + size);
        }
      }
      this.setLoaded(tail, tailStart, summary, n);
    } finally {
      await closeFile(fd);
    }
  }

  private setLoaded(tail: Buffer, tailStart: number, summary: Buffer, count: number): void {
    this.tail = tail;
    this.tailStart = tailStart;
    this.summary = summary;
    this.count = this.flushedCount = count;
    this.loaded = true;
  }

  private async readExactly(fd: number, into: Buffer, length: number, position: number): Promise<void> {
    const n = await new Promise<number>((resolve, reject) => fs.read(fd, into, 0, length, position, (err, read) => (err ? reject(err) : resolve(read))));
    if (n !== length) throw new CorruptIndexError(this.path, `${length} bytes expected at ${position}, ${n} read (the file is shorter than its entries)`);
  }

  /** The last entry, or null (always in memory). */
  protected last(): EntryRef | null {
    if (this.count === 0) return null;
    return { index: this.count - 1, buf: this.tail, at: (this.count - 1 - this.tailStart) * this.entrySize };
  }

  /** Appends an entry written by `write` at (buf, at). */
  protected push(write: (buf: Buffer, at: number) => void): void {
    const size = this.entrySize;
    const used = (this.count - this.tailStart) * size;
    if (used + size > this.tail.length) {
      const next = Buffer.alloc(Math.max(INITIAL_TAIL_ENTRIES * size, this.tail.length * 2));
      this.tail.copy(next, 0, 0, used);
      this.tail = next;
    }
    write(this.tail, used);
    this.count++;
    this.dropFlushedBlocks();
    this.flushInBackground();
  }

  /** Starts a flush when a block of entries waits for the file and none is running. */
  private flushInBackground(): void {
    if (this.backgroundFlush || this.abandoned || this.count - this.flushedCount < BLOCK_ENTRIES) return;
    this.backgroundFlush = true;
    this.flush().then(
      () => {
        this.backgroundFlush = false;
        this.flushInBackground(); // entries appended meanwhile
      },
      // A failed write loses nothing: the entries stay unflushed, and the next flush or sync
      // (checkpoint, roll, close) writes them again and reports the error to its caller. No retry
      // from here, which would spin on a full disk.
      () => (this.backgroundFlush = false),
    );
  }

  /** Moves whole flushed blocks out of the tail into the summary, keeping the last entry. */
  private dropFlushedBlocks(): void {
    const size = this.entrySize;
    let blocks = 0;
    while (this.tailStart + (blocks + 1) * BLOCK_ENTRIES <= this.flushedCount && this.tailStart + (blocks + 1) * BLOCK_ENTRIES < this.count) blocks++;
    if (blocks === 0) return;
    const have = this.tailStart / BLOCK_ENTRIES;
    if ((have + blocks) * size > this.summary.length) {
      const next = Buffer.alloc(Math.max(4 * size, (have + blocks) * size, this.summary.length * 2));
      this.summary.copy(next, 0, 0, have * size);
      this.summary = next;
    }
    for (let b = 0; b < blocks; b++) this.tail.copy(this.summary, (have + b) * size, b * BLOCK_ENTRIES * size, (b * BLOCK_ENTRIES + 1) * size);
    const from = blocks * BLOCK_ENTRIES * size;
    const to = (this.count - this.tailStart) * size;
    // Give memory back after a burst (many entries appended before a flush): keep at most twice
    // what remains, rounded up to a power of two.
    let capacity = this.tail.length / size;
    while (capacity > INITIAL_TAIL_ENTRIES && capacity * size >= 4 * (to - from)) capacity = Math.ceil(capacity / 2);
    if (capacity * size < this.tail.length) {
      const next = Buffer.alloc(capacity * size);
      this.tail.copy(next, 0, from, to);
      this.tail = next;
    } else this.tail.copy(this.tail, 0, from, to);
    this.tailStart += blocks * BLOCK_ENTRIES;
  }

  /** Block `k` (before the tail) from the file, or the cached copy. */
  private async readBlock(k: number): Promise<Buffer> {
    const truncations = this.truncations;
    const c = this.cached;
    if (c && c.block === k && c.truncations === truncations) return c.bytes;
    const length = BLOCK_ENTRIES * this.entrySize;
    // A fresh buffer each time: the thread pool writes into it while other lookups may still be
    // reading the previous one.
    const bytes = Buffer.allocUnsafeSlow(length);
    const fd = await openFile(this.path, fs.constants.O_RDONLY);
    try {
      await this.readExactly(fd, bytes, length, k * length);
    } finally {
      await closeFile(fd);
    }
    this.cached = { block: k, truncations, bytes };
    return bytes;
  }

  /** Last entry index in [lo, hi] of `buf` for which `pred` holds (it holds at `lo`). */
  private lastTrue(buf: Buffer, lo: number, hi: number, pred: EntryPredicate): number {
    const size = this.entrySize;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (pred(buf, mid * size)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The last entry for which `pred` holds (entries are in order, so it holds for a prefix), or
   * null. Reads one block of the file when that entry lies before the tail.
   */
  protected async floor(pred: EntryPredicate): Promise<EntryRef | null> {
    for (;;) {
      if (this.count === 0) return null;
      const size = this.entrySize;
      if (this.tailStart === 0 || pred(this.tail, 0)) {
        if (!pred(this.tail, 0)) return null;
        const j = this.lastTrue(this.tail, 0, this.count - this.tailStart - 1, pred);
        return { index: this.tailStart + j, buf: this.tail, at: j * size };
      }
      if (!pred(this.summary, 0)) return null;
      const k = this.lastTrue(this.summary, 0, this.tailStart / BLOCK_ENTRIES - 1, pred);
      const truncations = this.truncations;
      const block = await this.readBlock(k);
      if (truncations !== this.truncations) continue; // the index changed meanwhile: search again
      const j = this.lastTrue(block, 0, BLOCK_ENTRIES - 1, pred);
      return { index: k * BLOCK_ENTRIES + j, buf: block, at: j * size };
    }
  }

  /** Number of leading entries for which `pred` holds. */
  protected async countWhile(pred: EntryPredicate): Promise<number> {
    return ((await this.floor(pred))?.index ?? -1) + 1;
  }

  /**
   * Calls `fn` with the entries from index `from` on, in order, until it returns false (reads the
   * blocks before the tail that the walk reaches). A truncation meanwhile ends the walk.
   */
  protected async walkFrom(from: number, fn: (buf: Buffer, at: number) => boolean): Promise<void> {
    const size = this.entrySize;
    const truncations = this.truncations;
    let i = from;
    while (i < this.tailStart) {
      const k = Math.floor(i / BLOCK_ENTRIES);
      const block = await this.readBlock(k);
      if (truncations !== this.truncations) return;
      for (let j = i - k * BLOCK_ENTRIES; j < BLOCK_ENTRIES; j++, i++) if (!fn(block, j * size)) return;
    }
    for (; i < this.count; i++) if (!fn(this.tail, (i - this.tailStart) * size)) return;
  }

  /** Calls `fn` with every entry in order (verification: reads the blocks before the tail). */
  protected async forEach(fn: (buf: Buffer, at: number) => void): Promise<void> {
    const size = this.entrySize;
    for (let k = 0; k < this.tailStart / BLOCK_ENTRIES; k++) {
      const block = await this.readBlock(k);
      for (let j = 0; j < BLOCK_ENTRIES; j++) fn(block, j * size);
    }
    for (let i = this.tailStart; i < this.count; i++) fn(this.tail, (i - this.tailStart) * size);
  }

  /** Drops entries from index `n` on (memory and, on next flush, file). */
  protected async truncateEntries(n: number): Promise<void> {
    if (n >= this.count) return;
    // Cutting into the blocks before the tail: the block of the new last entry becomes the tail.
    const start = n > 0 && n <= this.tailStart ? Math.floor((n - 1) / BLOCK_ENTRIES) * BLOCK_ENTRIES : -1;
    const block = start >= 0 ? await this.readBlock(start / BLOCK_ENTRIES) : null;
    this.truncations++;
    this.cached = null;
    this.fileTooLong = true;
    if (this.flushedCount > n) this.flushedCount = n;
    if (n === 0) this.tailStart = 0;
    else if (block) {
      const size = this.entrySize;
      if ((n - start) * size > this.tail.length) this.tail = Buffer.alloc((n - start) * size);
      block.copy(this.tail, 0, 0, (n - start) * size);
      this.tailStart = start;
    }
    this.count = n;
  }

  /** Removes every entry; the next flush empties the file. */
  reset(): void {
    this.truncations++;
    this.cached = null;
    this.count = this.flushedCount = this.tailStart = 0;
    this.fileTooLong = true;
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
    if (this.flushedCount === this.count && !this.fileTooLong && !(fsync && this.dirtySinceSync)) return;
    const fd = await openFile(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    try {
      const size = this.entrySize;
      const from = this.flushedCount;
      const to = this.count;
      const truncations = this.truncations;
      if (to > from) {
        // Copy: the tail may be replaced, shifted or truncated while the write is in flight.
        await writevAll(fd, [Buffer.from(this.tail.subarray((from - this.tailStart) * size, (to - this.tailStart) * size))], from * size);
      }
      await ftruncate(fd, to * size);
      // A truncation meanwhile lowered flushedCount and wants the file cut again: leave both.
      if (truncations === this.truncations) {
        this.flushedCount = to;
        this.fileTooLong = false;
      }
      this.dirtySinceSync = true;
      if (fsync) {
        await fdatasync(fd);
        this.dirtySinceSync = false;
      }
    } finally {
      await closeFile(fd);
    }
    this.dropFlushedBlocks();
  }

  /** Flushes to the file; the index stays usable. */
  async close(): Promise<void> {
    await this.sync();
  }

  /** Frees memory of an index whose file is complete; it reloads lazily. */
  async unload(): Promise<void> {
    await this.close();
    this.tail = this.summary = EMPTY;
    this.cached = null;
    this.count = this.flushedCount = this.tailStart = 0;
    this.loaded = false;
    this.loading = null;
  }

  async deleteFile(): Promise<void> {
    await this.flushChain;
    await fs.promises.rm(this.path, { force: true });
  }
}
