/**
 * The group side of a Consumer with a groupId: its subscription, its membership (heartbeats), the
 * reconciliation of assignments into the SubscriptionState, and offset commits (automatic and
 * manual).
 *
 * Lifecycle: start() when consumption begins (run() or an iteration) joins the group; stop() when
 * it ends commits the processed offsets (at-least-once with auto-commit), leaves the group (for a
 * static member: temporarily) and drops every partition. Between the two, heartbeats run on a
 * timer whatever the handlers do.
 *
 * Auto-commit (at-least-once): every autoCommitInterval ms and every autoCommitThreshold
 * processed records, the offsets that moved are committed, one commit at a time; a failed
 * automatic commit is logged and retried by the next one. At-most-once: the end offset of every
 * fetched chunk of records is committed before its records are handed out, and nothing else is
 * committed automatically.
 * Single-threaded.
 */
import type { Clock, TimerHandle } from '../../clock';
import type { Cluster } from '../../cluster/cluster';
import { StrataArgumentError, toError } from '../../errors';
import type { Logger } from '../../logger';
import type { EventSink } from '../../network/connection-events';
import type { Retrier } from '../../retry';
import type { ResolvedGroupOptions } from '../consumer-options';
import type { ConsumptionTracker } from '../consumption-tracker';
import type { FetchedData } from '../fetch-buffer';
import { checkOffset, type OffsetResetStrategy, type PartitionState, type SubscriptionState } from '../subscription-state';
import { AssignmentReconciler, type RebalanceEvents } from './assignment-reconciler';
import { CoordinatorLink } from './coordinator-link';
import { GroupMembership, type MembershipEvents } from './group-membership';
import { GroupSubscription, type SubscribeArgs } from './group-subscription';
import { OffsetCommitter, type CommitEvents, type TopicPartitionOffset } from './offset-committer';

export type GroupEvents = MembershipEvents & RebalanceEvents & CommitEvents;

export interface GroupSessionConfig {
  options: ResolvedGroupOptions;
  autoOffsetReset: OffsetResetStrategy;
  cluster: Cluster;
  subscriptions: SubscriptionState;
  tracker: ConsumptionTracker;
  /** Fetching should re-plan. */
  reschedule: () => void;
  requestTimeoutMs: number;
  retrier: Retrier;
  clock: Clock;
  logger: Logger;
  events: EventSink<GroupEvents>;
  onFatal: (error: Error) => void;
}

export class GroupSession {
  private readonly subscription = new GroupSubscription();
  private readonly membership: GroupMembership;
  private readonly committer: OffsetCommitter;
  private readonly reconciler: AssignmentReconciler;
  private readonly autoCommitting: boolean;
  private active = false;
  private timer: TimerHandle = undefined;
  private sinceCommit = 0;
  private committing: Promise<void> | null = null;
  private commitAgain = false;

  constructor(private readonly c: GroupSessionConfig) {
    const o = c.options;
    const link = new CoordinatorLink(c.cluster, o.groupId);
    const instanceId = o.groupInstanceId ?? '';
    this.autoCommitting = o.autoCommit && o.deliverySemantics === 'at-least-once';
    this.membership = new GroupMembership({
      link,
      groupId: o.groupId,
      memberId: randomMemberId(),
      instanceId,
      sessionTimeoutMs: o.sessionTimeoutMs,
      rebalanceTimeoutMs: o.maxPollIntervalMs,
      assignor: o.assignor ?? '',
      requestTimeoutMs: c.requestTimeoutMs,
      subscription: () => this.subscription.wire(),
      owned: () => this.reconciler.ownedWire(),
      pollIdleMs: () => c.tracker.idleMs(),
      retrier: c.retrier,
      clock: c.clock,
      logger: c.logger,
      events: c.events,
      onAssignment: (assignment) => this.reconciler.apply(assignment),
      onLost: (reason) => this.reconciler.lose(reason),
      onFatal: (error) => c.onFatal(error),
    });
    this.committer = new OffsetCommitter({
      link,
      groupId: o.groupId,
      instanceId,
      member: () => ({ memberId: this.membership.memberId, memberEpoch: this.membership.memberEpoch }),
      onFenced: () => this.membership.heartbeatNow(),
      requestTimeoutMs: c.requestTimeoutMs,
      retrier: c.retrier,
      logger: c.logger,
      events: c.events,
    });
    this.reconciler = new AssignmentReconciler({
      groupId: o.groupId,
      link,
      subscriptions: c.subscriptions,
      subscription: this.subscription,
      autoOffsetReset: c.autoOffsetReset,
      committer: this.committer,
      commitOnRevoke: this.autoCommitting,
      tracker: c.tracker,
      membership: this.membership,
      reschedule: c.reschedule,
      requestTimeoutMs: c.requestTimeoutMs,
      retrier: c.retrier,
      logger: c.logger,
      events: c.events,
      onFatal: c.onFatal,
    });
  }

  get memberId(): string {
    return this.membership.memberId;
  }

  get memberEpoch(): number {
    return this.membership.memberEpoch;
  }

  subscribe(args: SubscribeArgs): void {
    if (this.subscription.add(args) && this.active) this.membership.subscriptionChanged();
  }

  /** Joins the group; heartbeats run until stop(). */
  start(): void {
    if (this.subscription.isEmpty) throw new StrataArgumentError('subscribe({ topics }) before consuming as a group member');
    this.active = true;
    this.sinceCommit = 0;
    this.membership.start();
    this.armAutoCommit();
  }

  /** Counts processed records towards autoCommitThreshold. */
  onProgress(count: number): void {
    const threshold = this.c.options.autoCommitThreshold;
    if (!this.active || !this.autoCommitting || threshold === null || count === 0) return;
    this.sinceCommit += count;
    if (this.sinceCommit >= threshold) void this.autoCommit();
  }

  /**
   * Commits `offsets` (each the next offset to consume), or the processed offsets of every
   * partition the member consumes.
   */
  async commitOffsets(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    if (!this.active) throw new StrataArgumentError('commitOffsets: the consumer is not in its group (offsets can be committed while run() or an iteration is going on)');
    if (offsets === undefined) return this.commitProcessed(this.reconciler.consumed());
    if (!Array.isArray(offsets)) throw new StrataArgumentError('commitOffsets: expected [{ topic, partition, offset }]');
    for (const o of offsets) {
      if (!o || typeof o.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0) throw new StrataArgumentError('commitOffsets: expected [{ topic, partition, offset }]');
      checkOffset(o.offset);
    }
    await this.committer.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
    // What the application committed counts as processed: a later automatic commit (of the record
    // still in hand when the loop ended, say) must not take a partition's offset back.
    for (const o of offsets) {
      const s = this.c.subscriptions.get(o.topic, o.partition);
      if (s && (s.committable === null || o.offset > s.committable)) s.committable = o.offset;
    }
  }

  /**
   * At-most-once: commits the end of `data` before its records are handed out. False (and the
   * partition fetches again after a backoff) when that failed: the records must not be processed.
   */
  async commitBeforeHandOut(data: FetchedData): Promise<boolean> {
    const s = data.state;
    try {
      await this.committer.commit([{ topic: s.topic, partition: s.partition, offset: data.nextOffset }], true);
      return true;
    } catch (error) {
      this.c.logger.warn(`group "${this.c.options.groupId}": could not commit ${s.topic}-${s.partition} before processing; not processing it yet: ${toError(error).message}`);
      if (data.epoch === s.epoch) {
        s.backoffUntil = this.c.clock.now() + this.c.retrier.delay(0);
        s.rewind();
        this.c.reschedule();
      }
      return false;
    }
  }

  /** Commits what was processed (auto-commit), leaves the group and drops every partition. */
  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.c.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.autoCommitting) {
      try {
        await this.commitProcessed(this.reconciler.held());
      } catch (error) {
        this.c.logger.warn(`group "${this.c.options.groupId}": the final commit failed: ${toError(error).message}`);
      }
    }
    await this.committer.idle();
    await this.membership.leave();
    this.reconciler.clear();
  }

  private armAutoCommit(): void {
    if (!this.autoCommitting) return;
    this.timer = this.c.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.active) return;
      void this.autoCommit().finally(() => {
        if (this.active) this.armAutoCommit();
      });
    }, this.c.options.autoCommitInterval);
  }

  /** One automatic commit at a time; asked again meanwhile, it commits once more right after. */
  private autoCommit(): Promise<void> {
    if (this.committing) {
      this.commitAgain = true;
      return this.committing;
    }
    this.sinceCommit = 0;
    const run = this.commitProcessed(this.reconciler.consumed())
      .catch((error: unknown) => this.c.logger.warn(`group "${this.c.options.groupId}": automatic commit failed (the next one retries): ${toError(error).message}`))
      .finally(() => {
        this.committing = null;
        if (this.commitAgain && this.active) {
          this.commitAgain = false;
          void this.autoCommit();
        }
      });
    this.committing = run;
    return run;
  }

  private commitProcessed(states: readonly PartitionState[]): Promise<void> {
    const offsets: TopicPartitionOffset[] = [];
    for (const s of states) if (s.committable !== null) offsets.push({ topic: s.topic, partition: s.partition, offset: s.committable });
    return this.committer.commit(offsets, true);
  }
}

/** A member id chosen by the client (a UUID), so that a retried join is recognised. */
function randomMemberId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(Math.random() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
}
