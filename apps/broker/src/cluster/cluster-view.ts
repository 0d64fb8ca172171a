/**
 * ClusterView: what handlers need to know about the cluster this broker belongs to — the live
 * brokers, the controller, every topic and every partition's state (leader, replicas, ISR) — and
 * the operations only the controller performs: topic creation, deletion and settings, leader
 * elections, controlled shutdown. A broker without etcd is a cluster of one (StandaloneCluster,
 * backed by its TopicManager); with etcd, EtcdCluster implements the same interface from its copy
 * of etcd and forwards nothing: a non-controller answers NOT_CONTROLLER and clients retry at the
 * controller.
 */
import { ERRORS, StrataError } from '@strata/protocol';
import type { TopicRecord } from '../topics/metadata-store';
import type { TopicManager } from '../topics/topic-manager';

export interface ClusterBroker {
  nodeId: number;
  url: string;
  rack: string;
  /** etcd create revision of the broker's registration (0 for a single broker). */
  epoch: number;
}

export interface PartitionView {
  leaderId: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export type ElectionType = 'preferred' | 'unclean';

export interface ElectionOutcome {
  topic: string;
  partition: number;
  error: StrataError | null;
}

export interface TopicCreation {
  name: string;
  numPartitions: number;
  /** -1: the default. */
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface ClusterView {
  readonly clustered: boolean;
  readonly clusterId: string;
  brokers(): ClusterBroker[];
  /** -1 when no controller is elected. */
  controllerId(): number;
  controllerEpoch(): number;
  topicNames(): string[];
  topic(name: string): TopicRecord | undefined;
  partition(topic: string, index: number): PartitionView | undefined;
  createTopics(requests: readonly TopicCreation[], validateOnly: boolean): Promise<Array<StrataError | null>>;
  deleteTopic(name: string): Promise<void>;
  alterTopicConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly: boolean): Promise<void>;
  /** Runs elections (on the controller; others throw NOT_CONTROLLER). `partitions` null: all. */
  electLeaders(type: ElectionType, partitions: Array<{ topic: string; partitions: number[] }> | null, timeoutMs: number): Promise<ElectionOutcome[]>;
  /** Moves the leaderships of `brokerId` away (on the controller); returns how many remain. */
  controlledShutdown(brokerId: number, brokerEpoch: number): Promise<number>;
}

/** A broker on its own: its own controller, leader of everything, nothing to elect. */
export class StandaloneCluster implements ClusterView {
  readonly clustered = false;

  constructor(
    private readonly self: () => ClusterBroker,
    private readonly topics: TopicManager,
  ) {}

  get clusterId(): string {
    return this.topics.clusterId;
  }

  brokers(): ClusterBroker[] {
    return [this.self()];
  }

  controllerId(): number {
    return this.self().nodeId;
  }

  controllerEpoch(): number {
    return 0;
  }

  topicNames(): string[] {
    return this.topics.list().map((t) => t.record.name);
  }

  topic(name: string): TopicRecord | undefined {
    return this.topics.get(name)?.record;
  }

  partition(topic: string, index: number): PartitionView | undefined {
    return this.topics.partition(topic, index);
  }

  async createTopics(requests: readonly TopicCreation[], validateOnly: boolean): Promise<Array<StrataError | null>> {
    return Promise.all(
      requests.map(async (r) => {
        try {
          if (r.replicationFactor > 1) throw new StrataError(ERRORS.INVALID_REPLICATION_FACTOR, `replication factor ${r.replicationFactor} is larger than the cluster (1 broker)`);
          const request = { name: r.name, numPartitions: r.numPartitions, configs: r.configs };
          if (validateOnly) this.topics.validateCreate(request);
          else await this.topics.create(request);
          return null;
        } catch (e) {
          return e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message);
        }
      }),
    );
  }

  deleteTopic(name: string): Promise<void> {
    return this.topics.delete(name);
  }

  alterTopicConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly: boolean): Promise<void> {
    return this.topics.alterConfigs(name, set, remove, validateOnly);
  }

  async electLeaders(_type: ElectionType, partitions: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionOutcome[]> {
    const wanted = partitions ?? this.topics.list().map((t) => ({ topic: t.record.name, partitions: [] as number[] }));
    return wanted.flatMap(({ topic, partitions: ps }) => {
      const t = this.topics.get(topic);
      const indexes = ps.length > 0 ? ps : Array.from({ length: t?.record.partitions ?? 1 }, (_, i) => i);
      return indexes.map((partition) => ({
        topic,
        partition,
        error: t?.partitions[partition]
          ? new StrataError(ERRORS.ELECTION_NOT_NEEDED, `${topic}-${partition} is led by its preferred replica (this broker)`)
          : new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`),
      }));
    });
  }

  async controlledShutdown(): Promise<number> {
    return 0;
  }
}
