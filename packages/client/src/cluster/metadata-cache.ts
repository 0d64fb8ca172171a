/**
 * Cached topic metadata: partitions and their leaders, per topic, with the time it was fetched.
 * Entries older than `maxAgeMs` count as missing, and errors that mean "your metadata is stale"
 * (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION) invalidate them.
 * Plain data; not thread-safe.
 */

export interface PartitionMetadataEntry {
  partition: number;
  /** Node id of the leader; -1 when there is none right now. */
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  errorCode: number;
}

export interface TopicMetadataEntry {
  topic: string;
  isInternal: boolean;
  /** Sorted by partition id; partition i at index i. */
  partitions: readonly PartitionMetadataEntry[];
  /** The topic's max.message.bytes (largest record batch it accepts); 0 when the broker does not say. */
  maxMessageBytes: number;
  fetchedAt: number;
}

export class MetadataCache {
  private readonly topics = new Map<string, TopicMetadataEntry>();

  constructor(private readonly maxAgeMs: number) {}

  /** The entry when present and younger than maxAgeMs. */
  get(topic: string, now: number): TopicMetadataEntry | undefined {
    const entry = this.topics.get(topic);
    if (!entry) return undefined;
    if (now - entry.fetchedAt >= this.maxAgeMs) return undefined;
    return entry;
  }

  /** The entry whatever its age (routing may use aged metadata; errors invalidate it). */
  peek(topic: string): TopicMetadataEntry | undefined {
    return this.topics.get(topic);
  }

  set(entry: TopicMetadataEntry): void {
    this.topics.set(entry.topic, entry);
  }

  invalidate(topic: string): void {
    this.topics.delete(topic);
  }

  clear(): void {
    this.topics.clear();
  }
}
