/**
 * FilePool: bounds how many segment files are open at once. Segments open their `.log` file on
 * first use and register here; when more than `max` are open, the least recently used segments
 * that are not in the middle of an operation close their file (and, if closed for writing, drop
 * their indexes from memory); they reopen on next use. 2,000 partitions therefore need only as
 * many descriptors as are busy at a time.
 *
 * Event loop only.
 */
export interface PooledFile {
  /** True while an operation holds the descriptor. */
  readonly busy: boolean;
  /** Closes the descriptor (and frees index memory) if it is not busy. */
  release(): Promise<void>;
}

export class FilePool {
  private readonly open = new Map<PooledFile, true>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /** Marks `file` as just used (most recent), then closes files beyond the limit. */
  touch(file: PooledFile): void {
    this.open.delete(file);
    this.open.set(file, true);
    if (this.open.size > this.max) this.evict();
  }

  remove(file: PooledFile): void {
    this.open.delete(file);
  }

  private evict(): void {
    for (const file of this.open.keys()) {
      if (this.open.size <= this.max) return;
      if (file.busy) continue;
      this.open.delete(file);
      void file.release();
    }
  }
}
