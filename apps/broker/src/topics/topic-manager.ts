/**
 * TopicManager: the topics this broker hosts and their partitions' logs.
 *
 * Creation persists the topic's metadata first and then creates its logs; a crash between the two
 * is repaired at start-up, which creates missing log folders. Deletion unregisters the topic at
 * once (new requests see UNKNOWN_TOPIC_OR_PARTITION), persists, then deletes the logs. Names being
 * created or deleted are reserved so concurrent requests cannot interleave on one name.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ERRORS, StrataError, topicNameProblem } from '@strata/protocol';
import type { BrokerConfig } from '../config/broker-config';
import { ConfigError, describeProblems } from '../config/settings';
import { TOPIC_SETTINGS, resolveTopicConfig, validateTopicConfigs, type TopicConfig } from '../config/topic-config';
import { Partition } from '../replication/partition';
import { INTERNAL_PREFIX, MAX_PARTITIONS } from './limits';
import { runLimited, type LogManager } from '../storage/log-manager';
import type { Log } from '../storage/log';
import type { Clock } from '../util/clock';
import type { MetadataStore, TopicRecord } from './metadata-store';

export { Partition };
export { INTERNAL_PREFIX, MAX_PARTITIONS };

export interface Topic {
  record: TopicRecord;
  config: TopicConfig;
  /**
   * Partitions this broker holds a replica of, by index. On a single broker every partition; in a
   * cluster only its replicas (other indexes are empty: ask the ClusterView about them).
   */
  partitions: Array<Partition | undefined>;
}

/** Builds the Partition of a log in a cluster (with its replication state). */
export type PartitionFactory = (topic: string, index: number, log: Log) => Promise<Partition>;

export interface CreateTopicRequest {
  name: string;
  numPartitions: number;
  configs: Record<string, string>;
}

export class TopicManager {
  private readonly topics = new Map<string, Topic>();
  private readonly busy = new Set<string>();
  clusterId = '';
  private changes = 0;

  constructor(
    private readonly store: MetadataStore,
    private readonly logs: LogManager,
    private readonly broker: BrokerConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Loads metadata and every partition log (recovering them), a few at a time. */
  async load(): Promise<void> {
    const meta = await this.store.load();
    this.clusterId = meta.clusterId;
    const jobs: Array<() => Promise<void>> = [];
    for (const record of meta.topics) {
      const config = resolveTopicConfig(record.configs, this.broker);
      const topic: Topic = { record, config, partitions: new Array(record.partitions) };
      this.topics.set(record.name, topic);
      for (let p = 0; p < record.partitions; p++) {
        jobs.push(async () => {
          const log = await this.logs.loadLog(record.name, p, config);
          topic.partitions[p] = new Partition(record.name, p, log, this.broker.brokerId);
        });
      }
    }
    await runLimited(jobs, 8);
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  list(): Topic[] {
    return [...this.topics.values()];
  }

  /** The partition, or a StrataError code name saying why not. */
  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  /**
   * Moves whenever a topic is created or deleted (or, later, resized): the group coordinator
   * re-resolves subscriptions only when it changed.
   */
  get version(): number {
    return this.changes;
  }

  /** Checks a create request; throws StrataError with the code to report. Names starting with "__" are for internal topics only. */
  validateCreate(req: CreateTopicRequest, internal = false): void {
    const problem = topicNameProblem(req.name);
    if (problem) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, problem);
    if (!internal && req.name.startsWith(INTERNAL_PREFIX)) {
      throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `topic names starting with "${INTERNAL_PREFIX}" are reserved for the broker's internal topics: "${req.name}" cannot be created`);
    }
    if (this.topics.has(req.name) || this.busy.has(req.name)) {
      throw new StrataError(ERRORS.TOPIC_ALREADY_EXISTS, `topic "${req.name}" already exists`);
    }
    if (!Number.isInteger(req.numPartitions) || req.numPartitions < 1 || req.numPartitions > MAX_PARTITIONS) {
      throw new StrataError(ERRORS.INVALID_PARTITIONS, `numPartitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${req.numPartitions}`);
    }
    try {
      validateTopicConfigs(req.configs);
    } catch (e) {
      if (e instanceof ConfigError) throw new StrataError(ERRORS.INVALID_CONFIG, describeProblems(e.problems));
      throw e;
    }
  }

  async create(req: CreateTopicRequest, internal = false): Promise<Topic> {
    this.validateCreate(req, internal);
    this.busy.add(req.name);
    try {
      const record: TopicRecord = {
        name: req.name,
        id: randomUUID(),
        partitions: req.numPartitions,
        configs: { ...req.configs },
        createdAt: this.clock.now(),
        internal,
      };
      await this.store.putTopic(record);
      const config = resolveTopicConfig(record.configs, this.broker);
      const topic: Topic = { record, config, partitions: new Array(record.partitions) };
      for (let p = 0; p < record.partitions; p++) {
        const log = await this.logs.loadLog(record.name, p, config);
        topic.partitions[p] = new Partition(record.name, p, log, this.broker.brokerId);
      }
      this.topics.set(record.name, topic);
      this.changes++;
      this.logger.info({ topic: record.name, partitions: record.partitions, configs: record.configs, internal }, 'created topic');
      return topic;
    } finally {
      this.busy.delete(req.name);
    }
  }

  /**
   * Changes settings of a topic: `set` values replace the topic's own, `remove` drops them (the
   * broker default applies again). Validated as at creation; persisted; applied to every
   * partition's log at once. Throws StrataError.
   */
  async alterConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly: boolean): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic || this.busy.has(name)) throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    if (topic.record.internal || name.startsWith(INTERNAL_PREFIX)) {
      // Its settings are the broker's (offsets.topic.*): retention.ms=1 would erase every group's offsets.
      throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `"${name}" is an internal topic of the broker: its settings cannot be changed by clients`);
    }
    const configs = { ...topic.record.configs, ...set };
    for (const key of remove) delete configs[key];
    const unknownRemovals = remove.filter((k) => !TOPIC_SETTINGS.some((d) => d.key === k));
    try {
      if (unknownRemovals.length > 0) throw new StrataError(ERRORS.INVALID_CONFIG, `unknown setting "${unknownRemovals[0]}"`);
      validateTopicConfigs(configs);
    } catch (e) {
      if (e instanceof ConfigError) throw new StrataError(ERRORS.INVALID_CONFIG, describeProblems(e.problems));
      throw e;
    }
    if (validateOnly) return;
    const record: TopicRecord = { ...topic.record, configs };
    await this.store.putTopic(record);
    topic.record = record;
    topic.config = resolveTopicConfig(configs, this.broker);
    for (const p of topic.partitions) p?.log.setConfig(topic.config);
    this.logger.info({ topic: name, configs }, 'changed topic settings');
  }

  /** Deletes a topic. Internal topics (and any name starting with "__") only with `internal`. */
  async delete(name: string, internal = false): Promise<void> {
    const topic = this.topics.get(name);
    if (!internal && (name.startsWith(INTERNAL_PREFIX) || topic?.record.internal)) {
      throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `"${name}" is an internal topic of the broker and cannot be deleted`);
    }
    if (!topic || this.busy.has(name)) throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
    this.busy.add(name);
    this.topics.delete(name);
    this.changes++;
    try {
      await this.store.deleteTopic(name);
      await this.logs.deleteLogs(name, topic.record.partitions);
      this.logger.info({ topic: name }, 'deleted topic');
    } finally {
      this.busy.delete(name);
    }
  }

  // ---- a cluster: topics come from etcd; this broker holds the logs of its replicas only ----

  /**
   * Registers (or updates) a topic of the cluster and opens the logs of `local` partitions not
   * open yet. A log folder left from an older topic of the same name (deleted and created again
   * while this broker was away) is deleted first: the folder records its topic id.
   */
  async applyClusterTopic(record: TopicRecord, local: readonly number[], factory: PartitionFactory): Promise<Topic> {
    let topic = this.topics.get(record.name);
    const config = resolveTopicConfig(record.configs, this.broker);
    if (topic && topic.record.id !== record.id) {
      await this.removeClusterTopic(record.name);
      topic = undefined;
    }
    if (!topic) {
      topic = { record, config, partitions: new Array(record.partitions) };
      this.topics.set(record.name, topic);
      this.changes++;
    } else if (JSON.stringify(topic.record.configs) !== JSON.stringify(record.configs)) {
      topic.record = record;
      topic.config = config;
      for (const p of topic.partitions) p?.log.setConfig(config);
    }
    const t = topic;
    await runLimited(
      local
        .filter((index) => !t.partitions[index])
        .map((index) => async () => {
          const log = await this.logs.loadClusterLog(record.name, index, config, record.id);
          t.partitions[index] = await factory(record.name, index, log);
        }),
      8,
    );
    return t;
  }

  /** Forgets a deleted topic of the cluster and deletes its local logs. */
  async removeClusterTopic(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) return;
    this.topics.delete(name);
    this.changes++;
    for (const p of topic.partitions) p?.detach();
    await this.logs.deleteLogs(name, topic.record.partitions);
    this.logger.info({ topic: name }, 'deleted the local replicas of a deleted topic');
  }
}
