/**
 * A consumer's membership of its group, over ConsumerGroupHeartbeat (docs/groups.md): join with
 * epoch 0 under a member id this client chose (a retried join is then idempotent), heartbeat
 * within the interval the coordinator asks for, report the owned partitions whenever they change,
 * leave with -1 (or -2 for a static member).
 *
 * Heartbeats run on a timer, independent of record processing, and at once when the coordinator
 * pushes GroupChanged for this member (it asks with notify_changes: a member joined or left, or a
 * partition it waits for was released), so a rebalance takes round trips, not heartbeat
 * intervals. Their `poll_idle_ms` says how long
 * the application has been away (ConsumptionTracker), so a stuck handler, not a slow one, gets the
 * member removed (and it rejoins only once the application polls again). What the coordinator
 * answers is handed on: `onAssignment` with every full
 * assignment, `onLost` when the member was fenced or removed (UNKNOWN_MEMBER_ID,
 * FENCED_MEMBER_EPOCH, or no answer within the session timeout) before it rejoins at once under the
 * same id, `onFatal` when it must not go on (FENCED_INSTANCE_ID, a refused configuration).
 *
 * Invariants: at most one heartbeat in flight; after a heartbeat without an answer the next one is
 * full (owned and subscription); owned/subscription versions are acknowledged only by an answer to
 * a heartbeat that carried them; the epoch only changes from answers (or resets to 0 when lost).
 * Single-threaded; timers from the injected Clock.
 */
import { ERRORS, errorFromCode, type ConsumerGroupHeartbeatRequestInit, type StrataError, type TopicPartitionsInit } from '@strata/protocol';
import type { Clock, TimerHandle } from '../../clock';
import { isRetriable, toError } from '../../errors';
import type { Logger } from '../../logger';
import type { EventSink } from '../../network/connection-events';
import type { Retrier } from '../../retry';
import type { CoordinatorLink } from './coordinator-link';
import { fromWire, type PartitionSet } from './partition-sets';

export interface MembershipEvents {
  /** The member joined (or rejoined) its group. */
  'consumer.group_join': { groupId: string; memberId: string; memberEpoch: number; groupInstanceId: string | null };
  /** A heartbeat was answered. */
  'consumer.heartbeat': { groupId: string; memberId: string; memberEpoch: number; durationMs: number };
  /** The member left its group (for good, or temporarily for a static member). */
  'consumer.group_leave': { groupId: string; memberId: string; temporarily: boolean };
}

export interface MembershipConfig {
  link: CoordinatorLink;
  groupId: string;
  memberId: string;
  /** '' for a dynamic member. */
  instanceId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** '' lets the broker choose. */
  assignor: string;
  requestTimeoutMs: number;
  subscription: () => { names: string[]; regex: string };
  owned: () => TopicPartitionsInit[];
  pollIdleMs: () => number;
  retrier: Retrier;
  clock: Clock;
  logger: Logger;
  events: EventSink<MembershipEvents>;
  onAssignment: (assignment: PartitionSet) => void;
  onLost: (reason: StrataError) => void;
  onFatal: (error: Error) => void;
}

/** Heartbeat interval before the coordinator told one. */
const FIRST_INTERVAL_MS = 3_000;
const INT32_MAX = 2147483647;

export class GroupMembership {
  memberId: string;
  memberEpoch = 0;
  private running = false;
  private timer: TimerHandle = undefined;
  private inFlight: Promise<void> | null = null;
  private again = false;
  private intervalMs = FIRST_INTERVAL_MS;
  private ownedVersion = 0;
  private ackedOwnedVersion = -1;
  private subscriptionVersion = 0;
  private ackedSubscriptionVersion = -1;
  /** The next heartbeat restates owned partitions and subscription (after one went unanswered). */
  private full = true;
  private failures = 0;
  private lastAnsweredAt = 0;
  /** Since when joins get UNRELEASED_INSTANCE_ID. */
  private unreleasedSince: number | null = null;
  /** A join was sent since start(): the coordinator may know the member, so stop() leaves. */
  private joinSent = false;
  private stopListening: (() => void) | null = null;

  constructor(private readonly c: MembershipConfig) {
    this.memberId = c.memberId;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Joins the group (epoch 0) at once and keeps heartbeating until leave(). */
  start(): void {
    this.running = true;
    this.memberEpoch = 0;
    this.full = true;
    this.failures = 0;
    this.unreleasedSince = null;
    this.lastAnsweredAt = this.c.clock.now();
    this.stopListening?.();
    this.stopListening = this.c.link.onPush((push) => {
      const changed = push.groupChanged;
      // Not gated on the epoch: the push may be read in the same tick as the join response that
      // sets it (before that response is applied); heartbeatNow() then follows the join at once.
      if (changed && changed.groupId === this.c.groupId && changed.memberId === this.memberId) this.heartbeatNow();
    });
    this.schedule(0);
  }

  /** Sends a heartbeat as soon as possible (after the one in flight). */
  heartbeatNow(): void {
    if (!this.running) return;
    if (this.inFlight) this.again = true;
    else this.schedule(0);
  }

  /** The owned partitions changed: the next heartbeat reports them. */
  ownedChanged(): void {
    this.ownedVersion++;
  }

  /** The subscription changed: report it at once. */
  subscriptionChanged(): void {
    this.subscriptionVersion++;
    this.heartbeatNow();
  }

  /** Stops heartbeating and leaves the group (-1, or -2 for a static member). Never throws. */
  async leave(): Promise<void> {
    this.running = false;
    this.stopListening?.();
    this.stopListening = null;
    this.c.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (!this.joinSent) return;
    this.joinSent = false;
    const temporarily = this.c.instanceId !== '';
    const memberEpoch = temporarily ? -2 : -1;
    try {
      const res = await this.c.link.request(
        'ConsumerGroupHeartbeat',
        { groupId: this.c.groupId, memberId: this.memberId, memberEpoch, instanceId: this.c.instanceId },
        { timeoutMs: Math.min(this.c.requestTimeoutMs, this.c.sessionTimeoutMs) },
      );
      if (res.errorCode !== 0) throw errorFromCode(res.errorCode, res.errorMessage || undefined);
      this.c.events.emit('consumer.group_leave', { groupId: this.c.groupId, memberId: this.memberId, temporarily });
    } catch (error) {
      // The coordinator removes the member when its session expires anyway.
      this.c.logger.warn(`could not leave group "${this.c.groupId}" (its session will expire instead): ${toError(error).message}`);
    } finally {
      this.memberEpoch = 0;
    }
  }

  private schedule(delayMs: number): void {
    this.c.clock.clearTimeout(this.timer);
    this.timer = this.c.clock.setTimeout(() => {
      this.timer = undefined;
      this.beat();
    }, delayMs);
  }

  private beat(): void {
    if (!this.running || this.inFlight) return;
    this.inFlight = this.exchange().finally(() => {
      this.inFlight = null;
      if (this.running && this.again) {
        this.again = false;
        this.schedule(0);
      }
    });
  }

  private async exchange(): Promise<void> {
    const c = this.c;
    const joining = this.memberEpoch === 0;
    if (joining && c.pollIdleMs() > c.rebalanceTimeoutMs) {
      // Removed because the application stopped polling, and it still has not come back: joining
      // now would only take partitions it cannot process. Join once it polls again.
      this.schedule(Math.min(this.intervalMs, 1_000));
      return;
    }
    const ownedVersion = this.ownedVersion;
    const subscriptionVersion = this.subscriptionVersion;
    const sendOwned = joining || this.full || ownedVersion !== this.ackedOwnedVersion;
    const sendSubscription = joining || this.full || subscriptionVersion !== this.ackedSubscriptionVersion;
    const subscription = sendSubscription ? c.subscription() : { names: [], regex: '' };
    const request: ConsumerGroupHeartbeatRequestInit = {
      groupId: c.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: c.instanceId,
      rackId: '',
      rebalanceTimeoutMs: c.rebalanceTimeoutMs,
      sessionTimeoutMs: c.sessionTimeoutMs,
      subscriptionChanged: sendSubscription,
      subscribedTopicNames: subscription.names,
      subscribedTopicRegex: subscription.regex,
      serverAssignor: c.assignor,
      ownedChanged: sendOwned,
      owned: sendOwned && !joining ? c.owned() : [],
      pollIdleMs: joining ? 0 : Math.min(INT32_MAX, Math.round(c.pollIdleMs())),
      notifyChanges: true,
    };
    if (joining) this.joinSent = true;
    const started = c.clock.now();
    let response;
    try {
      response = await c.link.request('ConsumerGroupHeartbeat', request, { timeoutMs: Math.min(c.requestTimeoutMs, c.sessionTimeoutMs) });
    } catch (error) {
      this.unanswered(error);
      return;
    }
    if (response.errorCode !== 0) {
      this.refused(errorFromCode(response.errorCode, response.errorMessage || undefined), joining);
      return;
    }
    this.failures = 0;
    this.full = false;
    this.unreleasedSince = null;
    this.lastAnsweredAt = c.clock.now();
    if (sendOwned) this.ackedOwnedVersion = ownedVersion;
    if (sendSubscription) this.ackedSubscriptionVersion = subscriptionVersion;
    if (response.memberId) this.memberId = response.memberId;
    this.memberEpoch = response.memberEpoch;
    if (response.heartbeatIntervalMs > 0) this.intervalMs = response.heartbeatIntervalMs;
    if (c.events.listening('consumer.heartbeat')) {
      c.events.emit('consumer.heartbeat', { groupId: c.groupId, memberId: this.memberId, memberEpoch: this.memberEpoch, durationMs: c.clock.now() - started });
    }
    if (joining) c.events.emit('consumer.group_join', { groupId: c.groupId, memberId: this.memberId, memberEpoch: this.memberEpoch, groupInstanceId: c.instanceId || null });
    if (!this.running) return;
    if (response.hasAssignment) c.onAssignment(fromWire(response.assignment));
    // Owned partitions changed while this heartbeat was in flight: report them with the next one.
    this.schedule(this.intervalMs);
  }

  /** No answer (connection lost, timeout): retry with a full heartbeat after a backoff. */
  private unanswered(error: unknown): void {
    this.full = true;
    if (!this.running) return;
    if (!isRetriable(error)) {
      this.c.onFatal(toError(error));
      return;
    }
    const now = this.c.clock.now();
    if (this.memberEpoch > 0 && now - this.lastAnsweredAt > this.c.sessionTimeoutMs) {
      // The coordinator has removed the member by now: its partitions are someone else's.
      this.memberEpoch = 0;
      this.c.onLost(errorFromCode(ERRORS.UNKNOWN_MEMBER_ID.code, `no heartbeat was answered within the session timeout (${this.c.sessionTimeoutMs} ms): ${toError(error).message}`));
    }
    this.backOff(`heartbeat to the coordinator of group "${this.c.groupId}" failed`, error);
  }

  /** The coordinator answered with an error. */
  private refused(error: StrataError, joining: boolean): void {
    this.c.link.noteError(error.errorCode);
    if (!this.running) return;
    switch (error.errorCode) {
      case ERRORS.UNKNOWN_MEMBER_ID.code:
      case ERRORS.FENCED_MEMBER_EPOCH.code:
        this.memberEpoch = 0;
        this.full = true;
        this.c.onLost(error);
        // Rejoin at once under the same member id (a fenced member that is still in the group
        // gets its partitions back without a rebalance).
        if (this.failures++ === 0) this.schedule(0);
        else this.backOff('rejoining', error);
        return;
      case ERRORS.UNRELEASED_INSTANCE_ID.code: {
        // The previous holder of this instance id may be a dying process whose connection has not
        // closed yet: retry for up to the session timeout.
        const now = this.c.clock.now();
        this.unreleasedSince ??= now;
        if (joining && now - this.unreleasedSince <= this.c.sessionTimeoutMs) {
          this.backOff(`instance id "${this.c.instanceId}" is still held`, error);
          return;
        }
        this.c.onFatal(error);
        return;
      }
      default:
        if (error.retriable) this.backOff(`the coordinator of group "${this.c.groupId}" cannot serve the heartbeat yet`, error);
        else this.c.onFatal(error);
    }
  }

  private backOff(what: string, error: unknown): void {
    const delayMs = Math.min(this.c.retrier.delay(Math.min(this.failures, 30)), Math.max(this.intervalMs, 1));
    this.failures++;
    this.c.logger.warn(`${what}; retrying in ${delayMs} ms`, { error: toError(error).message });
    this.schedule(delayMs);
  }
}
