/**
 * The Admin's cluster operations: describe the cluster (brokers, controller, under-replicated and
 * offline partitions), elect leaders (preferred, or explicitly unclean), and move consumers past
 * damaged storage (skip-corrupt). Requests that change leadership go to the controller; the rest
 * to the broker concerned. Retriable failures (NOT_CONTROLLER, a lost connection) are retried by
 * the caller's Retrier. Stateless apart from the cluster; safe to call concurrently.
 */
import { ERRORS, StrataError, errorFromCode } from '@strata/protocol';
import type { Cluster } from '../cluster/cluster';
import { StrataAggregateError, StrataArgumentError } from '../errors';
import type { Retrier } from '../retry';
import type { ClusterDescription, PartitionReplicaInfo } from './admin-types';

export interface ElectLeadersArgs {
  /** Partitions to elect for; absent: every partition of the cluster. */
  topics?: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>;
  /** 'preferred' (default): the first replica, when it is in the ISR. 'unclean': any live replica, for partitions without a leader (may lose acknowledged records). */
  type?: 'preferred' | 'unclean';
  /** How long the controller may take, in milliseconds. @default the client's requestTimeoutMs */
  timeout?: number;
}

export interface ElectionResult {
  topic: string;
  partition: number;
  /** null when the election happened; else why not (ELECTION_NOT_NEEDED: already the preferred leader). */
  error: StrataError | null;
}

export interface SkipCorruptResult {
  topic: string;
  partition: number;
  scannedSegments: number;
  repairedSegments: number;
  /** Offset ranges (inclusive) whose damaged batches were dropped. */
  lost: Array<{ from: number; to: number }>;
  bytesDropped: number;
}

export class ClusterAdmin {
  constructor(
    private readonly cluster: Cluster,
    private readonly retrier: Retrier,
    private readonly requestTimeoutMs: number,
  ) {}

  /** Brokers, controller, replica health (DescribeCluster) and every partition's placement (Metadata). */
  async describeCluster(): Promise<ClusterDescription> {
    const [res, meta] = await this.retrier.run(async () => {
      const broker = await this.cluster.anyBroker();
      const [r, m] = await Promise.all([broker.request('DescribeCluster', {}), broker.request('Metadata', { topics: [], allTopics: true, allowAutoTopicCreation: false })]);
      if (r.errorCode !== 0) throw errorFromCode(r.errorCode, r.errorMessage);
      return [r, m] as const;
    });
    const partition = (p: (typeof res.underReplicated)[number]): PartitionReplicaInfo => ({
      topic: p.topic,
      partition: p.partition,
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      replicas: [...p.replicas],
      isr: [...p.isr],
    });
    return {
      clusterId: res.clusterId,
      controller: res.controllerId,
      controllerEpoch: res.controllerEpoch,
      brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, url: b.url, rack: b.rack === '' ? null : b.rack, epoch: b.epoch })).sort((a, b) => a.nodeId - b.nodeId),
      partitionCount: res.partitionCount,
      underReplicated: res.underReplicated.map(partition),
      offline: res.offline.map(partition),
      topics: meta.topics
        .filter((t) => t.errorCode === 0)
        .map((t) => ({
          name: t.name,
          isInternal: t.isInternal,
          partitions: t.partitions
            .map((p) => ({ partition: p.partition, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicas], isr: [...p.isr] }))
            .sort((a, b) => a.partition - b.partition),
        })),
    };
  }

  async electLeaders(args: ElectLeadersArgs = {}): Promise<ElectionResult[]> {
    const type = args.type ?? 'preferred';
    if (type !== 'preferred' && type !== 'unclean') throw new StrataArgumentError(`electLeaders: type must be 'preferred' or 'unclean', got "${String(type)}"`);
    const timeoutMs = args.timeout ?? this.requestTimeoutMs;
    const res = await this.retrier.run(async () => {
      const r = await this.cluster.requestController(
        'ElectLeaders',
        { electionType: type === 'preferred' ? 0 : 1, topics: (args.topics ?? []).map((t) => ({ name: t.topic, partitions: [...(t.partitions ?? [])] })), timeoutMs },
        { timeoutMs: this.requestTimeoutMs + timeoutMs },
        (response) => [response.errorCode],
      );
      if (r.errorCode !== 0) throw errorFromCode(r.errorCode, r.errorMessage);
      return r;
    });
    return res.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partition, error: p.errorCode === 0 ? null : errorFromCode(p.errorCode, p.errorMessage) })),
    );
  }

  /**
   * Rewrites the damaged segments of partitions without their damaged batches, on the broker
   * that leads each partition, and reports the offsets lost. Partitions without damage are left
   * alone (scanned only).
   */
  async skipCorrupt(topic: string, partitions?: readonly number[]): Promise<SkipCorruptResult[]> {
    const meta = await this.retrier.run(() => this.cluster.topicMetadata(topic));
    const wanted = partitions ?? meta.partitions.map((p) => p.partition);
    const results: SkipCorruptResult[] = [];
    const errors: StrataError[] = [];
    for (const partition of wanted) {
      try {
        const res = await this.retrier.run(async () => {
          const leader = await this.cluster.leaderFor(topic, partition);
          const r = await leader.request('SkipCorrupt', { topics: [{ name: topic, partitions: [partition] }] }, { timeoutMs: Math.max(this.requestTimeoutMs, 10 * 60_000) });
          const p = r.topics[0]?.partitions[0];
          if (!p) throw new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, `the broker did not answer for ${topic}-${partition}`);
          if (p.errorCode !== 0) {
            if (errorFromCode(p.errorCode).retriable) this.cluster.invalidate(topic);
            throw errorFromCode(p.errorCode, p.errorMessage);
          }
          return p;
        });
        results.push({
          topic,
          partition,
          scannedSegments: res.scannedSegments,
          repairedSegments: res.repairedSegments,
          lost: res.lost.map((l) => ({ from: l.fromOffset, to: l.toOffset })),
          bytesDropped: res.bytesDropped,
        });
      } catch (e) {
        errors.push(e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new StrataAggregateError(errors, `skipCorrupt: ${errors.length} partitions failed`);
    return results;
  }
}
