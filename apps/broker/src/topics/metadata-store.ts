/**
 * Topic metadata behind one interface. LocalMetadataStore keeps it in `<data.dir>/metadata.json`,
 * replaced atomically (temp file, fsync, rename, fsync folder) on every change, so after a crash
 * the file holds either the state before or after a change. A clustered broker will implement the
 * same interface on a coordination service (etcd).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../util/fs-io';

export interface TopicRecord {
  name: string;
  /** Unique id: a topic deleted and created again with the same name gets a new id. */
  id: string;
  partitions: number;
  /** Settings set on the topic (not defaults), as strings. */
  configs: Record<string, string>;
  createdAt: number;
  internal: boolean;
}

export interface ClusterMetadata {
  clusterId: string;
  topics: TopicRecord[];
}

export interface MetadataStore {
  load(): Promise<ClusterMetadata>;
  putTopic(topic: TopicRecord): Promise<void>;
  deleteTopic(name: string): Promise<void>;
}

interface FileFormat {
  version: 1;
  clusterId: string;
  topics: Record<string, TopicRecord>;
}

export class LocalMetadataStore implements MetadataStore {
  private state: FileFormat | null = null;
  private chain: Promise<void> = Promise.resolve();
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'metadata.json');
  }

  async load(): Promise<ClusterMetadata> {
    const data = await readFileIfExists(this.path);
    if (data === null) {
      this.state = { version: 1, clusterId: randomUUID(), topics: {} };
      await this.persist();
    } else {
      const parsed = JSON.parse(data.toString('utf8')) as FileFormat; // our own file, written atomically
      if (parsed.version !== 1 || typeof parsed.clusterId !== 'string' || typeof parsed.topics !== 'object') {
        throw new Error(`${this.path} is not a Strata metadata file (version ${String(parsed.version)})`);
      }
      this.state = parsed;
    }
    return { clusterId: this.state.clusterId, topics: Object.values(this.state.topics) };
  }

  putTopic(topic: TopicRecord): Promise<void> {
    return this.update((s) => {
      s.topics[topic.name] = topic;
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.update((s) => {
      delete s.topics[name];
    });
  }

  /** Changes are applied and written one at a time, in call order. */
  private update(change: (s: FileFormat) => void): Promise<void> {
    const run = this.chain.then(async () => {
      if (!this.state) throw new Error('metadata store not loaded');
      change(this.state);
      await this.persist();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async persist(): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(this.state, null, 2) + '\n');
  }
}
