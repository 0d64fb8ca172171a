/**
 * Partition: one topic partition as this broker hosts it — its log and its place in replication
 * (Kafka's Partition). Handlers never touch a log without going through one: the ReplicaManager
 * hands out partitions only after checking that this broker may serve the request.
 *
 * State: the leader's broker id and leader epoch, the replica list (first = preferred leader), the
 * in-sync replicas (ISR), and `version`, the etcd mod revision of the state (0 on a single broker):
 * ISR changes are conditional on it, so a deposed leader cannot shrink the ISR to itself.
 *
 * As leader of a replicated partition (Kafka's rules, docs/cluster.md):
 * - each follower's fetch offset is its log end offset; a follower is caught up when it fetches
 *   from the leader's log end (or from where the log ended at its previous fetch);
 * - the high watermark is the lowest log end offset of the ISR, and does not move while the ISR
 *   is smaller than min.insync.replicas; a replica being removed keeps counting until the removal
 *   is committed in etcd (so the high watermark never passes what a possible next leader has);
 * - acks=all is refused (NOT_ENOUGH_REPLICAS) before anything is written while the ISR is too
 *   small, and answered once the high watermark passes the batch (and, with durability=fsync,
 *   once the leader's copy is fsynced; followers fsync before they report an offset);
 * - a follower not caught up for replica.lag.time.max.ms leaves the ISR; one that reaches the
 *   high watermark (and the current epoch's start) rejoins; one change in flight at a time.
 * A broker without a cluster leads every partition at epoch 0 alone, and the log moves its high
 * watermark itself.
 *
 * Not thread-safe: event loop only.
 */
import type { Logger } from 'pino';
import { ERRORS, StrataError, iterateBatches, type BatchView } from '@strata/protocol';
import type { AppendResult, Log } from '../storage/log';
import type { Clock } from '../util/clock';
import type { LeaderEpochCache } from './leader-epoch-cache';

export type PartitionRole = 'leader' | 'follower' | 'none';

export interface PartitionState {
  /** -1: no leader (every in-sync replica is down). */
  leaderId: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** etcd mod revision of the state; 0 on a single broker. */
  version: number;
}

/** Writes an ISR change to etcd if the state is still at `expectedVersion`; the new version, or null when it lost the race. */
export type IsrWriter = (partition: Partition, isr: number[], expectedVersion: number) => Promise<number | null>;

export interface ReplicationOptions {
  clock: Clock;
  logger: Logger;
  epochCache: LeaderEpochCache;
  writeIsr: IsrWriter;
  replicaLagTimeMaxMs: number;
  /** Counts committed ISR changes (metrics). */
  onIsrChange?: (kind: 'expand' | 'shrink') => void;
}

interface FollowerState {
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end offset when this follower last fetched. */
  leaderEndAtLastFetch: number;
}

export interface LeaderAppend {
  result: AppendResult;
  /** Settles when the acknowledgement asked for holds. */
  acknowledged: Promise<void>;
}

export class Partition {
  private state: PartitionState;
  private readonly followers = new Map<number, FollowerState>();
  /** An ISR change on its way to etcd (the local ISR changes only once it is committed). */
  private isrChange: Promise<void> | null = null;
  private unwatch: (() => void) | null = null;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: Log,
    private readonly brokerId: number,
    private readonly replication: ReplicationOptions | null = null,
  ) {
    // A single broker leads alone at epoch 0; a replica of a cluster knows nothing until etcd says.
    this.state = replication ? { leaderId: -1, leaderEpoch: -1, replicas: [], isr: [], version: 0 } : { leaderId: brokerId, leaderEpoch: 0, replicas: [brokerId], isr: [brokerId], version: 0 };
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

  get version(): number {
    return this.state.version;
  }

  get role(): PartitionRole {
    if (this.state.leaderId === this.brokerId) return 'leader';
    return this.state.replicas.includes(this.brokerId) ? 'follower' : 'none';
  }

  get isLeader(): boolean {
    return this.state.leaderId === this.brokerId;
  }

  get isReplicated(): boolean {
    return this.replication !== null;
  }

  get epochCache(): LeaderEpochCache | null {
    return this.replication?.epochCache ?? null;
  }

  /**
   * Adopts a newer state from the controller or the ISR writer. Becoming leader records the epoch
   * (before any write of it); losing leadership fails the acknowledgements still waiting.
   */
  async applyState(state: PartitionState): Promise<void> {
    const before = this.state;
    if (state.version !== 0 && state.version < before.version) return;
    const wasLeader = this.isLeader;
    this.state = { ...state, replicas: [...state.replicas], isr: [...state.isr] };
    const r = this.replication;
    if (!r) return;
    this.log.setReplicated(true);
    if (this.isLeader && (!wasLeader || state.leaderEpoch !== before.leaderEpoch)) {
      r.epochCache.assign(state.leaderEpoch, this.log.logEndOffset);
      await r.epochCache.flush();
      const now = r.clock.now();
      this.followers.clear();
      for (const id of state.replicas) {
        if (id !== this.brokerId) this.followers.set(id, { logEndOffset: -1, lastCaughtUpMs: now, lastFetchMs: 0, leaderEndAtLastFetch: 0 });
      }
      this.unwatch ??= this.log.watch(() => this.maybeAdvanceHighWatermark());
      this.maybeAdvanceHighWatermark();
    } else if (!this.isLeader && wasLeader) {
      this.unwatch?.();
      this.unwatch = null;
      this.followers.clear();
      this.log.failHighWatermarkWaits(new StrataError(ERRORS.NOT_LEADER_OR_FOLLOWER, `${this.name} is now led by broker ${state.leaderId} (epoch ${state.leaderEpoch})`));
    } else if (this.isLeader) {
      this.maybeAdvanceHighWatermark();
    }
  }

  /** Stops watching the log (the partition leaves this broker). */
  detach(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.log.failHighWatermarkWaits(new StrataError(ERRORS.NOT_LEADER_OR_FOLLOWER, `${this.name} left this broker`));
  }

  /**
   * Appends a producer's batches as leader. acks=all with the ISR below min.insync.replicas is
   * refused before anything is written. Throws StrataError.
   */
  appendAsLeader(batches: readonly BatchView[], acks: number, durable: boolean): LeaderAppend {
    const minIsr = this.log.config.minInsyncReplicas;
    if (this.replication && acks === -1 && this.state.isr.length < minIsr) {
      throw new StrataError(
        ERRORS.NOT_ENOUGH_REPLICAS,
        `${this.name} has ${this.state.isr.length} in-sync replica(s) [${this.state.isr.join(',')}]; acks=all needs min.insync.replicas=${minIsr}`,
      );
    }
    const result = this.log.append(batches, this.state.leaderEpoch);
    return { result, acknowledged: this.acknowledgement(result, acks, durable) };
  }

  /** acks=1: the leader's write; acks=all: durable (durability=fsync) and, replicated, past the high watermark. */
  private acknowledgement(result: AppendResult, acks: number, durable: boolean): Promise<void> {
    const log = this.log;
    if (acks === 0) return Promise.resolve();
    if (acks === 1) return log.waitWritten(result.endOffset, result.generation);
    if (!this.replication) return durable ? log.waitDurable(result.endOffset, result.generation) : log.waitWritten(result.endOffset, result.generation);
    const replicated = log.waitHighWatermark(result.endOffset, result.generation);
    return durable ? Promise.all([replicated, log.waitDurable(result.endOffset, result.generation)]).then(() => undefined) : replicated;
  }

  /** A follower fetched from `fetchOffset` (its log end offset): its progress moves the high watermark and the ISR. */
  recordFollowerFetch(replicaId: number, fetchOffset: number): void {
    const r = this.replication;
    const f = this.followers.get(replicaId);
    if (!r || !f || !this.isLeader) return;
    const now = r.clock.now();
    const leaderEnd = this.log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = now;
    else if (fetchOffset >= f.leaderEndAtLastFetch && f.lastFetchMs > 0) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchMs = now;
    f.leaderEndAtLastFetch = leaderEnd;
    this.maybeExpandIsr(replicaId, fetchOffset);
    this.maybeAdvanceHighWatermark();
  }

  private maybeAdvanceHighWatermark(): void {
    if (!this.replication || !this.isLeader) return;
    // The committed ISR: a removal counts only once etcd has it, an addition likewise.
    const isr = this.state.isr;
    if (isr.length < this.log.config.minInsyncReplicas) return;
    let hw = this.log.writtenEndOffset;
    for (const id of isr) {
      if (id === this.brokerId) continue;
      const f = this.followers.get(id);
      if (!f || f.logEndOffset < 0) return; // not heard from since this leadership began
      if (f.logEndOffset < hw) hw = f.logEndOffset;
    }
    this.log.setHighWatermark(hw);
  }

  private maybeExpandIsr(replicaId: number, fetchOffset: number): void {
    if (this.state.isr.includes(replicaId) || this.isrChange) return;
    const epochStart = this.replication!.epochCache.latest?.startOffset ?? 0;
    if (fetchOffset < this.log.highWatermark || fetchOffset < epochStart) return;
    this.changeIsr([...this.state.isr, replicaId], 'expand');
  }

  /** Removes followers not caught up for replica.lag.time.max.ms (called periodically). */
  maybeShrinkIsr(): void {
    const r = this.replication;
    if (!r || !this.isLeader || this.isrChange) return;
    const now = r.clock.now();
    const lagging = this.state.isr.filter((id) => {
      if (id === this.brokerId) return false;
      const f = this.followers.get(id);
      return !f || now - f.lastCaughtUpMs > r.replicaLagTimeMaxMs;
    });
    if (lagging.length === 0) return;
    this.changeIsr(
      this.state.isr.filter((id) => !lagging.includes(id)),
      'shrink',
    );
  }

  private changeIsr(isr: number[], kind: 'expand' | 'shrink'): void {
    const r = this.replication!;
    const expected = this.state.version;
    const epoch = this.state.leaderEpoch;
    this.isrChange = r
      .writeIsr(this, isr, expected)
      .then(
        async (version) => {
          if (version === null || this.state.leaderEpoch !== epoch || this.state.version !== expected) return; // lost the race: the new state arrives by the watch
          r.logger.info({ partition: this.name, from: this.state.isr, to: isr, kind }, kind === 'shrink' ? 'ISR shrank' : 'ISR expanded');
          r.onIsrChange?.(kind);
          await this.applyState({ ...this.state, isr, version });
          if (isr.length < this.log.config.minInsyncReplicas) {
            this.log.failHighWatermarkWaits(
              new StrataError(ERRORS.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `${this.name}: the ISR shrank to [${isr.join(',')}], below min.insync.replicas=${this.log.config.minInsyncReplicas}`),
            );
          }
        },
        (e: unknown) => r.logger.warn({ partition: this.name, err: e }, 'writing an ISR change failed; retrying later'),
      )
      .finally(() => {
        this.isrChange = null;
        this.maybeAdvanceHighWatermark();
      });
  }

  /** How far behind each follower is, in offsets (metrics). */
  followerLag(): Array<{ replica: number; offsets: number; msSinceCaughtUp: number }> {
    const r = this.replication;
    if (!r) return [];
    const now = r.clock.now();
    return [...this.followers].map(([replica, f]) => ({ replica, offsets: Math.max(0, this.log.logEndOffset - Math.max(0, f.logEndOffset)), msSinceCaughtUp: now - f.lastCaughtUpMs }));
  }

  /**
   * As follower: appends batches fetched from the leader (recording each new leader epoch before
   * its first batch), then adopts the leader's high watermark as far as this log reaches.
   */
  appendReplicated(records: Uint8Array, leaderHighWatermark: number): void {
    const r = this.replication!;
    if (records.length > 0) {
      const batches = [...iterateBatches(records, { validate: true, maxBatchBytes: Number.MAX_SAFE_INTEGER })];
      const appendable: BatchView[] = [];
      for (const b of batches) {
        const epoch = b.header.partitionLeaderEpoch;
        if (epoch > (r.epochCache.latest?.epoch ?? -1)) {
          if (appendable.length > 0) this.log.appendAsFollower(appendable.splice(0));
          r.epochCache.assign(epoch, b.header.baseOffset);
        }
        appendable.push(b);
      }
      if (appendable.length > 0) this.log.appendAsFollower(appendable);
    }
    this.log.setHighWatermark(Math.min(leaderHighWatermark, this.log.logEndOffset));
  }
}
