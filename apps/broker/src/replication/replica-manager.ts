/**
 * ReplicaManager: the one place between request handlers and partitions. It answers "may this
 * broker serve this partition for this request?" once, for every API: unknown topic or partition,
 * not the leader (naming the current one, so clients reroute without a metadata round trip), a
 * stale or future leader epoch, or a log that is offline. Handlers turn the StrataError it throws
 * into their partition-level error codes.
 *
 * Event loop only.
 */
import { ERRORS, StrataError } from '@strata/protocol';
import type { ClusterView } from '../cluster/cluster-view';
import type { TopicManager } from '../topics/topic-manager';
import type { Partition } from './partition';

/** NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH, with the leader this broker knows. */
export class LeadershipError extends StrataError {
  constructor(
    definition: (typeof ERRORS)['NOT_LEADER_OR_FOLLOWER' | 'FENCED_LEADER_EPOCH' | 'UNKNOWN_LEADER_EPOCH'],
    message: string,
    readonly leaderId: number,
    readonly leaderEpoch: number,
  ) {
    super(definition, message);
  }
}

export class ReplicaManager {
  /** Returns why this broker may not lead right now (its etcd session lapsed), or null. */
  private fence: () => StrataError | null = () => null;

  constructor(
    private readonly topics: TopicManager,
    private readonly cluster: () => ClusterView,
  ) {}

  /** Installs the check that keeps a broker whose etcd session lapsed from acting as leader. */
  setFence(fence: () => StrataError | null): void {
    this.fence = fence;
  }

  /**
   * The partition, whatever this broker's role in it. Throws UNKNOWN_TOPIC_OR_PARTITION, or, in a
   * cluster, NOT_LEADER_OR_FOLLOWER naming the leader when this broker holds no replica of it.
   */
  partition(topic: string, index: number): Partition {
    const t = this.topics.get(topic);
    const partition = t?.partitions[index];
    if (partition) return partition;
    const cluster = this.cluster();
    const record = cluster.topic(topic);
    if (record && index >= 0 && index < record.partitions) {
      const view = cluster.partition(topic, index);
      throw new LeadershipError(
        ERRORS.NOT_LEADER_OR_FOLLOWER,
        `this broker holds no replica of ${topic}-${index}${view && view.leaderId >= 0 ? `; broker ${view.leaderId} leads it (epoch ${view.leaderEpoch})` : ''}`,
        view?.leaderId ?? -1,
        view?.leaderEpoch ?? -1,
      );
    }
    throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, record || t ? `topic "${topic}" has no partition ${index}` : `topic "${topic}" does not exist`);
  }

  /**
   * The partition when this broker leads it, at `currentLeaderEpoch` when the request names one
   * (-1: any). Throws UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH,
   * UNKNOWN_LEADER_EPOCH or KAFKA_STORAGE_ERROR.
   */
  leader(topic: string, index: number, currentLeaderEpoch = -1): Partition {
    const partition = this.partition(topic, index);
    this.checkEpoch(partition, currentLeaderEpoch);
    if (!partition.isLeader) {
      throw new LeadershipError(
        ERRORS.NOT_LEADER_OR_FOLLOWER,
        `this broker is not the leader of ${partition.name}${partition.leaderId >= 0 ? `; broker ${partition.leaderId} is (epoch ${partition.leaderEpoch})` : '; it has no leader right now'}`,
        partition.leaderId,
        partition.leaderEpoch,
      );
    }
    const fenced = this.fence();
    if (fenced) throw fenced;
    const offline = partition.log.offline;
    if (offline) throw offline;
    return partition;
  }

  /** Compares a request's leader epoch with the partition's. */
  checkEpoch(partition: Partition, currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === partition.leaderEpoch) return;
    if (currentLeaderEpoch < partition.leaderEpoch) {
      throw new LeadershipError(
        ERRORS.FENCED_LEADER_EPOCH,
        `leader epoch ${currentLeaderEpoch} of ${partition.name} is stale; the current one is ${partition.leaderEpoch} (leader ${partition.leaderId})`,
        partition.leaderId,
        partition.leaderEpoch,
      );
    }
    throw new LeadershipError(
      ERRORS.UNKNOWN_LEADER_EPOCH,
      `leader epoch ${currentLeaderEpoch} of ${partition.name} is newer than this broker's (${partition.leaderEpoch})`,
      partition.leaderId,
      partition.leaderEpoch,
    );
  }
}
