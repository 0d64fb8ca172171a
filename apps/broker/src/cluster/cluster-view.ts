/**
 * ClusterView: what handlers need to know about the cluster this broker belongs to — the live
 * brokers, the controller, and the controller's operations (leader elections, controlled
 * shutdown). A broker without etcd is a cluster of one (StandaloneCluster); with etcd, the
 * etcd-backed cluster membership implements the same interface.
 */
import { ERRORS, StrataError } from '@strata/protocol';
import type { TopicManager } from '../topics/topic-manager';

export interface ClusterBroker {
  nodeId: number;
  url: string;
  rack: string;
  /** etcd create revision of the broker's registration (0 for a single broker). */
  epoch: number;
}

export type ElectionType = 'preferred' | 'unclean';

export interface ElectionOutcome {
  topic: string;
  partition: number;
  error: StrataError | null;
}

export interface ClusterView {
  readonly clustered: boolean;
  brokers(): ClusterBroker[];
  /** -1 when no controller is elected. */
  controllerId(): number;
  controllerEpoch(): number;
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

  brokers(): ClusterBroker[] {
    return [this.self()];
  }

  controllerId(): number {
    return this.self().nodeId;
  }

  controllerEpoch(): number {
    return 0;
  }

  async electLeaders(_type: ElectionType, partitions: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionOutcome[]> {
    const wanted = partitions ?? this.topics.list().map((t) => ({ topic: t.record.name, partitions: t.partitions.map((p) => p.index) }));
    return wanted.flatMap(({ topic, partitions: ps }) => {
      const t = this.topics.get(topic);
      const indexes = ps.length > 0 ? ps : (t?.partitions.map((p) => p.index) ?? [0]);
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
