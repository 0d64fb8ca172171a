/**
 * Topic metadata behind one interface. A single broker keeps it in files (LocalMetadataStore); a
 * clustered broker keeps it in etcd (cluster/etcd-metadata-store.ts).
 *
 * LocalMetadataStore: a snapshot plus an append-only journal, so a change costs one appended line
 * however many topics exist (rewriting the whole file on every change made creating 10,000 topics
 * quadratic).
 * - `metadata.json`: { version: 1, clusterId, topics: { name: TopicRecord } }, replaced atomically
 *   (temp file, fsync, rename, fsync folder) when the journal is compacted into it;
 * - `metadata.journal`: one JSON line per change, `{"put": TopicRecord}` or `{"delete": name}`.
 *   Changes arriving while an append is being fsynced are written together by the next append
 *   (group commit): a CreateTopics of 100 topics costs one fsync, not 100. A change resolves once
 *   its line is durable.
 * Loading replays the journal over the snapshot (replaying a line twice is harmless: each line is
 * a whole record). A torn last line (a crash mid-append) is dropped; a damaged line before the last
 * is an error naming the file and line. The journal is folded into a new snapshot when it holds
 * more lines than max(1,000, twice the topics), then emptied.
 *
 * Event loop only.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { closeFile, fdatasync, openFile, readFileIfExists, writeFileAtomic, writevAll } from '../util/fs-io';

export interface TopicRecord {
  name: string;
  /** Unique id: a topic deleted and created again with the same name gets a new id. */
  id: string;
  partitions: number;
  /** Settings set on the topic (not defaults), as strings. */
  configs: Record<string, string>;
  createdAt: number;
  internal: boolean;
  /** Broker ids holding each partition, the preferred leader first (absent on a single broker). */
  assignment?: number[][];
}

export interface ClusterMetadata {
  clusterId: string;
  topics: TopicRecord[];
}

export interface MetadataStore {
  load(): Promise<ClusterMetadata>;
  putTopic(topic: TopicRecord): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Stops background work (compaction); pending changes are written first. */
  close?(): Promise<void>;
}

interface Snapshot {
  version: 1;
  clusterId: string;
  topics: Record<string, TopicRecord>;
}

type JournalLine = { put: TopicRecord } | { delete: string };

interface Pending {
  line: string;
  apply: () => void;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const MIN_COMPACTION_LINES = 1000;

export class LocalMetadataStore implements MetadataStore {
  private state: Snapshot | null = null;
  readonly path: string;
  readonly journalPath: string;
  private journalLines = 0;
  private journalSize = 0;
  private pending: Pending[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    dataDir: string,
    private readonly logger?: Logger,
  ) {
    this.path = join(dataDir, 'metadata.json');
    this.journalPath = join(dataDir, 'metadata.journal');
  }

  async load(): Promise<ClusterMetadata> {
    const data = await readFileIfExists(this.path);
    if (data === null) {
      this.state = { version: 1, clusterId: randomUUID(), topics: {} };
      await writeFileAtomic(this.path, JSON.stringify(this.state) + '\n');
    } else {
      const parsed = JSON.parse(data.toString('utf8')) as Snapshot; // our own file, written atomically
      if (parsed.version !== 1 || typeof parsed.clusterId !== 'string' || typeof parsed.topics !== 'object') {
        throw new Error(`${this.path} is not a Strata metadata file (version ${String(parsed.version)})`);
      }
      this.state = parsed;
    }
    await this.replayJournal();
    return { clusterId: this.state.clusterId, topics: Object.values(this.state.topics) };
  }

  private async replayJournal(): Promise<void> {
    const raw = await readFileIfExists(this.journalPath);
    if (raw === null) return;
    const text = raw.toString('utf8');
    let position = 0;
    let lineNumber = 0;
    while (position < text.length) {
      const end = text.indexOf('\n', position);
      lineNumber++;
      if (end < 0) break; // a torn last line: never acknowledged
      try {
        this.apply(JSON.parse(text.slice(position, end)) as JournalLine);
      } catch (e) {
        throw new Error(`${this.journalPath} line ${lineNumber} is damaged (${(e as Error).message}); restore it or remove the line to start`);
      }
      this.journalLines++;
      position = end + 1;
    }
    const valid = Buffer.byteLength(text.slice(0, position));
    this.journalSize = valid;
    if (valid < raw.length) await fs.promises.truncate(this.journalPath, valid);
  }

  private apply(line: JournalLine): void {
    const state = this.state!;
    if ('put' in line) state.topics[line.put.name] = line.put;
    else delete state.topics[line.delete];
  }

  putTopic(topic: TopicRecord): Promise<void> {
    return this.change({ put: topic });
  }

  deleteTopic(name: string): Promise<void> {
    return this.change({ delete: name });
  }

  private change(line: JournalLine): Promise<void> {
    if (!this.state) return Promise.reject(new Error('metadata store not loaded'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: JSON.stringify(line) + '\n', apply: () => this.apply(line), resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Appends everything pending in one write and one fsync, until nothing is pending. */
  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const bytes = Buffer.from(batch.map((p) => p.line).join(''), 'utf8');
        const fd = await openFile(this.journalPath, fs.constants.O_WRONLY | fs.constants.O_CREAT);
        try {
          await writevAll(fd, [bytes], this.journalSize);
          await fdatasync(fd);
        } finally {
          await closeFile(fd);
        }
        this.journalSize += bytes.length;
        this.journalLines += batch.length;
        for (const p of batch) p.apply();
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
      if (this.journalLines > Math.max(MIN_COMPACTION_LINES, 2 * Object.keys(this.state!.topics).length)) {
        // On failure the changes stay in the journal; compaction is tried again after the next one.
        await this.compact().catch((e: unknown) => this.logger?.warn({ err: e, path: this.path }, 'compacting the metadata journal failed'));
      }
    }
    this.writing = null;
  }

  /** Folds the journal into a new snapshot, then empties the journal. */
  private async compact(): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(this.state) + '\n');
    await fs.promises.truncate(this.journalPath, 0);
    this.journalLines = 0;
    this.journalSize = 0;
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
  }
}
