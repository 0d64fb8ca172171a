/**
 * Partition: one topic partition as this broker hosts it — its log and its place in replication
 * (Kafka's Partition). Handlers never touch a log without going through one: the ReplicaManager
 * hands out partitions only after checking that this broker may serve the request.
 *
 * State: the leader's broker id and leader epoch, the replica list (first = preferred leader) and
 * the in-sync replicas. A broker that is not part of a cluster leads every partition at epoch 0
 * with itself as the only replica.
 *
 * Not thread-safe: event loop only.
 */
import type { Log } from '../storage/log';

export type PartitionRole = 'leader' | 'follower' | 'none';

export interface PartitionState {
  leaderId: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export class Partition {
  private state: PartitionState;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: Log,
    private readonly brokerId: number,
    state?: PartitionState,
  ) {
    this.state = state ?? { leaderId: brokerId, leaderEpoch: 0, replicas: [brokerId], isr: [brokerId] };
  }

  get name(): string {
    return `${this.topic}-${this.index}`;
  }

  get leaderId(): number {
    return this.state.leaderId;
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get replicas(): readonly number[] {
    return this.state.replicas;
  }

  get isr(): readonly number[] {
    return this.state.isr;
  }

  get role(): PartitionRole {
    if (this.state.leaderId === this.brokerId) return 'leader';
    return this.state.replicas.includes(this.brokerId) ? 'follower' : 'none';
  }

  get isLeader(): boolean {
    return this.state.leaderId === this.brokerId;
  }

  /** Adopts a newer state (leader election, ISR change). */
  update(state: PartitionState): void {
    this.state = { ...state, replicas: [...state.replicas], isr: [...state.isr] };
  }
}
