/**
 * LeaderEpochCache: for one partition replica, where each leader epoch starts in the log (Kafka's
 * LeaderEpochFileCache, KIP-101). A follower asks the leader where its own latest epoch ends and
 * truncates there, so it never keeps records that a newer leader overwrote: truncating to the
 * follower's high watermark instead can lose acknowledged data (KIP-101's two scenarios).
 *
 * File `leader-epoch-checkpoint` in the partition folder: `0` (format version), the entry count,
 * then one `<epoch> <startOffset>` line per entry; replaced atomically on every change (changes
 * are rare: a leader election, a truncation). Entries strictly increase in both fields.
 *
 * - assign(epoch, offset): a leader records its epoch before accepting writes; a follower records
 *   the epoch of the first batch it appends with a newer epoch;
 * - endOffsetFor(epoch, logEnd): the largest epoch <= `epoch` and where it ends (the next entry's
 *   start, or the log end for the latest epoch), or (-1, -1) when there is none;
 * - truncateFromEnd(offset): entries starting at or after `offset` go (a truncated log).
 *
 * Event loop only; file writes are serialized.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../util/fs-io';

export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private writes: Promise<void> = Promise.resolve();
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, LEADER_EPOCH_FILE);
  }

  /** Reads the file, dropping entries past `logEndOffset` (the log was truncated since). */
  async load(logEndOffset: number): Promise<void> {
    const raw = await readFileIfExists(this.path);
    this.entries = [];
    if (raw) {
      const lines = raw.toString('utf8').trim().split('\n');
      const count = Number(lines[1]);
      if (lines[0] !== '0' || !Number.isInteger(count) || lines.length !== count + 2) throw new Error(`${this.path} is damaged`);
      for (const line of lines.slice(2)) {
        const [epoch, start] = line.split(' ').map(Number);
        if (!Number.isInteger(epoch) || !Number.isInteger(start)) throw new Error(`${this.path} is damaged: "${line}"`);
        this.entries.push({ epoch: epoch!, startOffset: start! });
      }
    }
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset <= logEndOffset);
    if (this.entries.length !== before) await this.persist();
  }

  get latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Records that `epoch` starts at `startOffset` when it is newer than the latest; true if it was. */
  assign(epoch: number, startOffset: number): boolean {
    const latest = this.latest;
    if (latest && (epoch <= latest.epoch || startOffset < latest.startOffset)) return false;
    if (latest && startOffset === latest.startOffset) this.entries.pop(); // an epoch that wrote nothing
    this.entries.push({ epoch, startOffset });
    void this.persist();
    return true;
  }

  /** The largest known epoch <= `epoch` and the offset where it ends; (-1, -1) when none. */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    let i = this.entries.length - 1;
    while (i >= 0 && this.entries[i]!.epoch > epoch) i--;
    if (i < 0) return { epoch: -1, endOffset: -1 };
    const next = this.entries[i + 1];
    return { epoch: this.entries[i]!.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  /** Forgets entries starting at or after `offset`. */
  truncateFromEnd(offset: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < offset);
    if (this.entries.length !== before) void this.persist();
  }

  /** Waits for every write started so far. */
  flush(): Promise<void> {
    return this.writes;
  }

  private persist(): Promise<void> {
    const text = ['0', String(this.entries.length), ...this.entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n') + '\n';
    const run = this.writes.then(() => writeFileAtomic(this.path, text));
    this.writes = run.catch(() => undefined);
    return run;
  }
}
