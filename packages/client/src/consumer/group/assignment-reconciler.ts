/**
 * Moves the consumer to the assignment the coordinator hands out, incrementally (docs/groups.md,
 * "What a client does with an assignment"):
 *
 * - newly assigned partitions join the SubscriptionState at once, waiting (`awaitingOffset`) for
 *   their committed offset (OffsetFetch); without one they start where the subscription's
 *   fromBeginning or autoOffsetReset says;
 * - revoked partitions stop being fetched and handed out (`revoking`); once the record in the
 *   application's hands is finished, their processed offsets are committed (at-least-once with
 *   auto-commit), they leave the SubscriptionState and the owned set, and a heartbeat confirms it
 *   at once;
 * - partitions in both are not touched: a kept partition is never paused;
 * - a newer assignment that gives back a partition being revoked cancels its revocation.
 *
 * Lost partitions (the member was fenced or removed) leave at once, uncommitted.
 *
 * Invariants: `owned` is what the member holds: in the SubscriptionState, or being revoked, and
 * reported to the coordinator as such; a partition leaves `owned` only after its revocation was
 * committed (or it was lost). `generation` grows whenever everything is dropped (lost, stop), so
 * revocations and offset lookups started before do nothing afterwards.
 * Single-threaded; revocations are asynchronous and may overlap (each on its own partitions).
 */
import { errorFromCode, type OffsetFetchTopicInit } from '@strata/protocol';
import { isRetriable, toError } from '../../errors';
import type { Logger } from '../../logger';
import type { EventSink } from '../../network/connection-events';
import type { Retrier } from '../../retry';
import type { ConsumptionTracker } from '../consumption-tracker';
import { partitionKey, type OffsetResetStrategy, type PartitionState, type SubscriptionState, type TopicPartition } from '../subscription-state';
import type { CoordinatorLink } from './coordinator-link';
import type { GroupSubscription } from './group-subscription';
import type { OffsetCommitter } from './offset-committer';
import { sortedPartitions, toWire, type PartitionSet } from './partition-sets';

export interface RebalanceEvents {
  /**
   * The member's partitions changed: `assigned` were added, `revoked` given up (their offsets
   * committed), `lost` taken away without a commit (the member was fenced or removed).
   */
  'consumer.rebalance': { groupId: string; memberEpoch: number; assigned: TopicPartition[]; revoked: TopicPartition[]; lost: TopicPartition[] };
}

export interface ReconcilerConfig {
  groupId: string;
  link: CoordinatorLink;
  subscriptions: SubscriptionState;
  subscription: GroupSubscription;
  autoOffsetReset: OffsetResetStrategy;
  committer: OffsetCommitter;
  /** Commit processed offsets of revoked partitions before giving them up. */
  commitOnRevoke: boolean;
  tracker: ConsumptionTracker;
  membership: { readonly memberEpoch: number; ownedChanged(): void; heartbeatNow(): void };
  /** Fetching should re-plan (partitions added, positions known, revocation cancelled). */
  reschedule: () => void;
  requestTimeoutMs: number;
  retrier: Retrier;
  logger: Logger;
  events: EventSink<RebalanceEvents>;
  onFatal: (error: Error) => void;
}

export class AssignmentReconciler {
  /** Partitions the member holds (keys as in SubscriptionState). */
  private readonly owned: PartitionSet = new Map();
  /** Partitions being revoked, each with the token of its revocation. */
  private readonly revoking = new Map<string, object>();
  private generation = 0;

  constructor(private readonly c: ReconcilerConfig) {}

  /** The owned partitions in wire form (the heartbeat's `owned`). */
  ownedWire(): ReturnType<typeof toWire> {
    return toWire(this.owned.values());
  }

  /** States of the owned partitions still consumed (not being revoked). */
  consumed(): PartitionState[] {
    return this.states(false);
  }

  /** States of every owned partition, being revoked or not. */
  held(): PartitionState[] {
    return this.states(true);
  }

  private states(withRevoking: boolean): PartitionState[] {
    const out: PartitionState[] = [];
    for (const [key, tp] of this.owned) {
      if (!withRevoking && this.revoking.has(key)) continue;
      const s = this.c.subscriptions.get(tp.topic, tp.partition);
      if (s) out.push(s);
    }
    return out;
  }

  /** Applies a full assignment from the coordinator. */
  apply(target: PartitionSet): void {
    for (const key of [...this.revoking.keys()]) if (target.has(key)) this.cancelRevocation(key);
    const added = [...target].filter(([key]) => !this.owned.has(key)).map(([, tp]) => tp);
    if (added.length > 0) this.add(added);
    const revoked = [...this.owned].filter(([key]) => !target.has(key) && !this.revoking.has(key)).map(([, tp]) => tp);
    if (revoked.length > 0) void this.revoke(revoked);
  }

  /** Drops every partition without committing (the member was fenced or removed). */
  lose(reason: Error): void {
    const lost = this.dropAll();
    if (lost.length === 0) return;
    this.c.logger.warn(`group "${this.c.groupId}": lost ${lost.length} partition(s) without committing: ${reason.message}`);
    this.emit({ lost });
  }

  /** Drops every partition (consumption stopped; the caller committed what it wanted first). */
  clear(): void {
    this.dropAll();
  }

  private dropAll(): TopicPartition[] {
    this.generation++;
    const dropped = sortedPartitions(this.owned.values());
    for (const tp of dropped) {
      this.c.subscriptions.remove(tp.topic, tp.partition);
      this.c.committer.forget(tp.topic, tp.partition);
    }
    this.owned.clear();
    this.revoking.clear();
    this.c.membership.ownedChanged();
    this.c.tracker.notify(); // revocations waiting for a drain give up
    return dropped;
  }

  private add(partitions: TopicPartition[]): void {
    const states: PartitionState[] = [];
    for (const tp of partitions) {
      const s = this.c.subscriptions.add(tp.topic, tp.partition, this.c.subscription.resetStrategy(tp.topic, this.c.autoOffsetReset));
      s.awaitingOffset = true;
      this.owned.set(partitionKey(tp.topic, tp.partition), tp);
      states.push(s);
    }
    this.c.membership.ownedChanged();
    this.emit({ assigned: sortedPartitions(partitions) });
    void this.startPositions(states, this.generation);
  }

  /** Looks up the committed offsets of newly assigned partitions and positions them. */
  private async startPositions(states: PartitionState[], generation: number): Promise<void> {
    const c = this.c;
    const topics = new Map<string, number[]>();
    for (const s of states) {
      let list = topics.get(s.topic);
      if (!list) topics.set(s.topic, (list = []));
      list.push(s.partition);
    }
    const request: OffsetFetchTopicInit[] = [...topics].map(([name, partitions]) => ({ name, partitions }));
    let response;
    try {
      response = await c.retrier.run(async () => {
        const res = await c.link.request('OffsetFetch', { groupId: c.groupId, topics: request }, { timeoutMs: c.requestTimeoutMs });
        if (res.errorCode !== 0) {
          c.link.noteError(res.errorCode);
          throw errorFromCode(res.errorCode, res.errorMessage || undefined);
        }
        return res;
      });
    } catch (error) {
      if (generation !== this.generation) return;
      if (isRetriable(error)) {
        // Still unreachable after the retries: try again later rather than giving up the partitions.
        c.logger.warn(`group "${c.groupId}": could not read committed offsets, retrying: ${toError(error).message}`);
        void this.startPositions(states, generation);
        return;
      }
      c.onFatal(toError(error));
      return;
    }
    if (generation !== this.generation) return;
    const found = new Map<string, number>();
    for (const t of response.topics) for (const p of t.partitions) if (p.errorCode === 0) found.set(partitionKey(t.name, p.partition), p.committedOffset);
    for (const s of states) {
      // A seek, a revocation or a loss meanwhile decided the partition's fate already.
      if (!s.awaitingOffset || c.subscriptions.get(s.topic, s.partition) !== s) continue;
      const committed = found.get(partitionKey(s.topic, s.partition)) ?? -1;
      if (committed >= 0) {
        s.seek(committed);
        c.committer.noteCommitted(s.topic, s.partition, committed);
      } else {
        s.reset(s.resetStrategy);
      }
    }
    c.reschedule();
  }

  private async revoke(partitions: TopicPartition[]): Promise<void> {
    const c = this.c;
    const generation = this.generation;
    const token = {};
    const states: PartitionState[] = [];
    for (const tp of partitions) {
      this.revoking.set(partitionKey(tp.topic, tp.partition), token);
      const s = c.subscriptions.get(tp.topic, tp.partition);
      if (s) {
        s.revoking = true;
        states.push(s);
      }
    }
    const mine = (s: PartitionState): boolean => this.revoking.get(partitionKey(s.topic, s.partition)) === token;
    // The record in the application's hands is finished (or the member is lost or stopping).
    await c.tracker.waitUntil(() => generation !== this.generation || states.every((s) => !s.processing || !mine(s)));
    if (generation !== this.generation) return;
    if (c.commitOnRevoke) {
      const offsets = states.filter((s) => mine(s) && s.committable !== null).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.committable! }));
      try {
        await c.committer.commit(offsets, true);
      } catch (error) {
        c.logger.warn(`group "${c.groupId}": offsets of revoked partitions were not committed (their next owner processes them again): ${toError(error).message}`);
      }
      if (generation !== this.generation) return;
    }
    const released: TopicPartition[] = [];
    for (const tp of partitions) {
      const key = partitionKey(tp.topic, tp.partition);
      if (this.revoking.get(key) !== token) continue; // given back meanwhile
      this.revoking.delete(key);
      this.owned.delete(key);
      c.subscriptions.remove(tp.topic, tp.partition);
      c.committer.forget(tp.topic, tp.partition);
      released.push(tp);
    }
    if (released.length === 0) return;
    c.membership.ownedChanged();
    c.membership.heartbeatNow();
    this.emit({ revoked: sortedPartitions(released) });
  }

  private cancelRevocation(key: string): void {
    this.revoking.delete(key);
    const tp = this.owned.get(key);
    const s = tp ? this.c.subscriptions.get(tp.topic, tp.partition) : undefined;
    if (!s) return;
    s.revoking = false;
    // Data fetched before the revocation began was dropped on delivery: fetch it again.
    s.rewind();
    this.c.reschedule();
  }

  private emit(change: Partial<Pick<RebalanceEvents['consumer.rebalance'], 'assigned' | 'revoked' | 'lost'>>): void {
    this.c.events.emit('consumer.rebalance', {
      groupId: this.c.groupId,
      memberEpoch: this.c.membership.memberEpoch,
      assigned: change.assigned ?? [],
      revoked: change.revoked ?? [],
      lost: change.lost ?? [],
    });
  }
}
