/**
 * GroupCoordinator: consumer-group membership over ConsumerGroupHeartbeat, in the style of
 * Kafka's KIP-848. Members heartbeat with their subscription and what they own; the coordinator
 * keeps the group epoch, recomputes the target assignment with the group's assignor whenever the
 * epoch moves, and hands each member its next step: revocations first, then (once no one else
 * holds them) new partitions. Members that keep a partition are never asked to give it up.
 *
 * Liveness: a member is removed when its session expires (no heartbeat within its session
 * timeout), when it does not confirm a revocation within its rebalance timeout, or when it
 * reports `poll_idle_ms` above its rebalance timeout. Removal bumps the group epoch.
 * Static members (instance_id) may leave with epoch -2 and come back under a new member id with
 * their partitions and epoch intact.
 *
 * Notifications: a member that heartbeats with notify_changes gets a GroupChanged push on its
 * connection when it should heartbeat before its interval ends — the group epoch moved (someone
 * joined, left or was removed; subscriptions or topics changed), or a partition of its target was
 * released (the previous owner confirmed a revocation or left). So a rebalance takes a few round
 * trips, not a few heartbeat intervals. At most one push per member between two of its heartbeats;
 * the member that caused the change learns it from its own response.
 *
 * Membership is in memory: after a broker restart members get UNKNOWN_MEMBER_ID and rejoin.
 * Committed offsets (OffsetStore) are durable. Not thread-safe: every heartbeat runs to completion
 * synchronously on the event loop; timers come from the injected Scheduler.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ERRORS, StrataError, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponseInit, type PushInit } from '@strata/protocol';
import type { BrokerMetrics } from '../metrics';
import type { Scheduler } from '../util/scheduler';
import type { AssignorRegistry } from './assignors';
import { ConsumerGroup, GroupMember } from './consumer-group';
import { applyMemberParams, checkGroupId, checkIds, memberParams, type GroupCoordinatorConfig } from './member-params';
import { offsetsPartitionFor } from './offset-records';
import type { OffsetStore } from './offset-store';
import { resolveGroupTopics, topicsFingerprint, type TopicCatalog } from './subscriptions';
import { fromTopicPartitions, intersects, setsEqual, toTopicPartitions, type TpKey } from './topic-partitions';

export const JOIN_EPOCH = 0;
export const LEAVE_EPOCH = -1;
export const STATIC_LEAVE_EPOCH = -2;

export type RemovalReason = 'left' | 'session-timeout' | 'rebalance-timeout' | 'poll-timeout';

/** The connection a heartbeat arrived on: static takeover needs to know whether it is still open. */
export interface MemberConnection {
  readonly id: number;
  readonly clientId: string;
  readonly clientHost: string;
  onClose(fn: () => void): () => void;
  /** Sends a push frame on this connection. */
  push?(push: PushInit): void;
}

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  catalog: TopicCatalog;
  offsets: OffsetStore;
  assignors: AssignorRegistry;
  scheduler: Scheduler;
  logger: Logger;
  metrics: BrokerMetrics;
}

const MAX_DEPARTED = 10_000;

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly offsets: OffsetStore;
  readonly catalog: TopicCatalog;
  private readonly groups = new Map<string, ConsumerGroup>();
  /** Why recently removed members left, for the message of their next heartbeat. */
  private readonly departed = new Map<string, string>();
  private closed = false;

  constructor(private readonly options: GroupCoordinatorOptions) {
    this.config = options.config;
    this.offsets = options.offsets;
    this.catalog = options.catalog;
  }

  /** Loads committed offsets; group requests are refused with COORDINATOR_LOAD_IN_PROGRESS until done. */
  load(): Promise<void> {
    return this.offsets.load();
  }

  /**
   * In a cluster: this broker's leaderships of __consumer_offsets partitions changed. Partitions
   * it now leads are loaded; the groups of those it lost are dropped (their members get
   * NOT_COORDINATOR on their next heartbeat and find the new coordinator).
   */
  syncLeadership(): void {
    const dropped = this.offsets.syncLeadership();
    if (dropped.length === 0) return;
    const count = this.catalog.partitionCount('__consumer_offsets') ?? 1;
    for (const [id, group] of [...this.groups]) {
      if (dropped.includes(offsetsPartitionFor(id, count))) {
        // Timers only: the group's state moves with the partition to the new coordinator.
        for (const member of [...group.members.values()]) this.dispose(member);
        this.groups.delete(id);
        this.options.metrics.groupMembers.remove({ group: id });
      }
    }
  }

  /** Throws unless the coordinator can serve requests of `groupId` (any group without one). */
  checkAvailable(groupId?: string): void {
    if (this.closed) throw new StrataError(ERRORS.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is shutting down');
    if (this.offsets.clustered) {
      if (groupId !== undefined) this.offsets.checkCoordinator(groupId);
      return;
    }
    if (this.offsets.failed) throw new StrataError(ERRORS.COORDINATOR_NOT_AVAILABLE, 'loading committed offsets failed; see the broker log');
    if (!this.offsets.loaded) throw new StrataError(ERRORS.COORDINATOR_LOAD_IN_PROGRESS, 'the coordinator is loading committed offsets');
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Every group with members or committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.groups()])].sort();
  }

  heartbeat(req: ConsumerGroupHeartbeatRequest, conn?: MemberConnection): ConsumerGroupHeartbeatResponseInit {
    const before = this.groups.get(req.groupId);
    const epochBefore = before?.groupEpoch ?? 0;
    const releasesBefore = before?.releases ?? 0;
    let response: ConsumerGroupHeartbeatResponseInit | undefined;
    try {
      response = this.handleHeartbeat(req, conn);
      return response;
    } finally {
      // A join may leave member_id to the coordinator: the caller is whoever the response names.
      this.notifyChanges(req.groupId, epochBefore, releasesBefore, response?.memberId || req.memberId);
    }
  }

  private handleHeartbeat(req: ConsumerGroupHeartbeatRequest, conn: MemberConnection | undefined): ConsumerGroupHeartbeatResponseInit {
    try {
      this.checkAvailable(req.groupId);
      checkGroupId(req.groupId);
      checkIds(req);
      if (req.memberEpoch === LEAVE_EPOCH) return this.leave(req);
      if (req.memberEpoch === STATIC_LEAVE_EPOCH) return this.leaveTemporarily(req);
      if (req.memberEpoch === JOIN_EPOCH) return this.join(req, conn);
      if (req.memberEpoch > 0) return this.beat(req, conn);
      throw new StrataError(ERRORS.INVALID_REQUEST, `member_epoch ${req.memberEpoch} is not valid: use 0 to join, -1 to leave, -2 to leave temporarily, or the current epoch`);
    } catch (e) {
      if (!(e instanceof StrataError)) throw e;
      return { errorCode: e.errorCode, errorMessage: e.message, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: this.config.heartbeatIntervalMs };
    }
  }

  private join(req: ConsumerGroupHeartbeatRequest, conn: MemberConnection | undefined): ConsumerGroupHeartbeatResponseInit {
    const params = memberParams(req, null, this.config, this.options.assignors);
    const group = this.groups.get(req.groupId) ?? new ConsumerGroup(req.groupId);
    const known = req.memberId ? group.members.get(req.memberId) : undefined;
    let member: GroupMember;
    let changed = false;
    if (known) {
      // The same member joining again (a retried join, or a rejoin after being fenced): it holds
      // only what it says it owns; the rest is released and, if still its target, handed back.
      if (known.instanceId !== req.instanceId) throw fencedInstance(req.instanceId || '(none)', known.memberId);
      member = known;
      const owned = fromTopicPartitions(req.owned);
      group.release(member, [...member.holds()].filter((tp) => !owned.has(tp)));
      this.cancelRebalanceTimer(member);
      member.leftTemporarily = false;
    } else {
      const holder = req.instanceId ? group.members.get(group.staticMembers.get(req.instanceId) ?? '') : undefined;
      if (holder && !holder.leftTemporarily && holder.connectionOpen) {
        throw new StrataError(
          ERRORS.UNRELEASED_INSTANCE_ID,
          `instance id ${req.instanceId} is held by live member ${holder.memberId}; it must leave (epoch -1 or -2) or expire first`,
        );
      }
      if (!holder && group.members.size >= this.config.maxGroupSize) {
        throw new StrataError(ERRORS.GROUP_MAX_SIZE_REACHED, `group ${req.groupId} already has ${group.members.size} members (group.max.size)`);
      }
      member = new GroupMember(req.memberId || randomUUID());
      member.instanceId = req.instanceId;
      if (holder) {
        this.dispose(holder);
        group.replace(holder, member);
        this.remember(holder.memberId, `replaced by member ${member.memberId} with the same instance id ${req.instanceId}`);
      } else {
        group.members.set(member.memberId, member);
        if (member.instanceId) group.staticMembers.set(member.instanceId, member.memberId);
        changed = true;
      }
      this.groups.set(group.groupId, group);
      this.options.metrics.groupMembers.set({ group: group.groupId }, group.members.size);
    }
    changed = applyMemberParams(member, params) || changed;
    member.sentVersion = -1; // a join always answers with the full assignment
    return this.advance(group, member, changed, null, conn, req.notifyChanges);
  }

  private beat(req: ConsumerGroupHeartbeatRequest, conn: MemberConnection | undefined): ConsumerGroupHeartbeatResponseInit {
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (!group || !member) throw this.unknownMember(group, req);
    if (req.instanceId !== member.instanceId) throw fencedInstance(req.instanceId || '(none)', member.memberId);
    const owned = req.ownedChanged ? fromTopicPartitions(req.owned) : null;
    if (req.memberEpoch !== member.memberEpoch) {
      // A member one epoch behind lost the response that moved it; it is resynchronised.
      const holds = member.holds();
      const lostResponse = req.memberEpoch === member.previousMemberEpoch && (!owned || [...owned].every((tp) => holds.has(tp)));
      if (!lostResponse) {
        throw new StrataError(
          ERRORS.FENCED_MEMBER_EPOCH,
          `member epoch ${req.memberEpoch} is not the member's current epoch ${member.memberEpoch}; give up every partition and rejoin with epoch 0`,
        );
      }
      member.sentVersion = -1;
    }
    const params = memberParams(req, member, this.config, this.options.assignors);
    if (req.pollIdleMs > params.rebalanceTimeoutMs) {
      this.removeMember(group, member, 'poll-timeout');
      throw new StrataError(
        ERRORS.FENCED_MEMBER_EPOCH,
        `removed from the group: poll_idle_ms ${req.pollIdleMs} exceeds rebalance_timeout_ms ${params.rebalanceTimeoutMs} (the member stopped polling); rejoin with epoch 0`,
      );
    }
    member.leftTemporarily = false;
    const changed = applyMemberParams(member, params);
    if (member.state === 'unrevoked' && owned && !intersects(owned, member.pendingRevocation)) {
      group.confirmRevocation(member);
      this.cancelRebalanceTimer(member);
    }
    return this.advance(group, member, changed, owned, conn, req.notifyChanges);
  }

  /** Common tail of join and heartbeat: new target if needed, reconcile, timers, response. */
  private advance(group: ConsumerGroup, member: GroupMember, changed: boolean, owned: ReadonlySet<TpKey> | null, conn: MemberConnection | undefined, notifyChanges: boolean): ConsumerGroupHeartbeatResponseInit {
    this.maybeBump(group, changed);
    group.reconcile(member);
    if (member.state !== 'unrevoked') this.cancelRebalanceTimer(member);
    else if (!member.cancelRebalanceTimer) this.armRebalanceTimer(group, member);
    this.armSessionTimer(group, member);
    this.watchConnection(member, conn);
    member.notify = notifyChanges && conn?.push ? (push) => conn.push!(push) : null;
    member.notified = false;
    const hasAssignment = member.sentVersion !== member.assignmentVersion || (owned !== null && !setsEqual(owned, member.assigned));
    member.sentVersion = member.assignmentVersion;
    const settled = member.state === 'stable';
    return {
      errorCode: 0,
      errorMessage: '',
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: settled ? this.config.heartbeatIntervalMs : Math.min(this.config.heartbeatIntervalMs, this.config.reconcilingHeartbeatIntervalMs),
      hasAssignment,
      assignment: hasAssignment ? toTopicPartitions(member.assigned) : [],
    };
  }

  private leave(req: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResponseInit {
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (group && member) {
      if (req.instanceId && req.instanceId !== member.instanceId) throw fencedInstance(req.instanceId, member.memberId);
      this.removeMember(group, member, 'left');
    }
    return { errorCode: 0, errorMessage: '', memberId: req.memberId, memberEpoch: LEAVE_EPOCH, heartbeatIntervalMs: 0 };
  }

  private leaveTemporarily(req: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResponseInit {
    if (!req.instanceId) throw new StrataError(ERRORS.INVALID_REQUEST, 'member_epoch -2 (leave temporarily) is only for static members: set instance_id');
    const group = this.groups.get(req.groupId);
    const member = group?.members.get(req.memberId);
    if (!group || !member) {
      if (group?.staticMembers.has(req.instanceId)) throw fencedInstance(req.instanceId, req.memberId);
      return { errorCode: 0, errorMessage: '', memberId: req.memberId, memberEpoch: STATIC_LEAVE_EPOCH, heartbeatIntervalMs: 0 };
    }
    if (req.instanceId !== member.instanceId) throw fencedInstance(req.instanceId, member.memberId);
    // Revocations in progress are handed over at once; what it keeps waits for its return.
    group.confirmRevocation(member);
    this.cancelRebalanceTimer(member);
    if (member.state !== 'stable') member.state = 'unreleased';
    member.leftTemporarily = true;
    this.armSessionTimer(group, member);
    return { errorCode: 0, errorMessage: '', memberId: member.memberId, memberEpoch: STATIC_LEAVE_EPOCH, heartbeatIntervalMs: 0 };
  }

  /** Bumps the group epoch and recomputes the target when membership, subscriptions or topics changed. */
  private maybeBump(group: ConsumerGroup, changed: boolean): void {
    const version = this.catalog.version();
    if (!changed && version === group.topicsVersion) return;
    const resolved = resolveGroupTopics(group, this.catalog);
    const fingerprint = topicsFingerprint(resolved.partitions);
    group.topicsVersion = version;
    if (!changed && fingerprint === group.topicsFingerprint) return;
    group.topicsFingerprint = fingerprint;
    group.groupEpoch++;
    const assignorName = this.chooseAssignor(group);
    const assignor = this.options.assignors.get(assignorName)!;
    group.target = assignor.assign({
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        topics: resolved.byMember.get(m.memberId)!,
        current: group.targetOf(m.memberId),
      })),
      partitions: resolved.partitions,
    });
    group.assignmentEpoch = group.groupEpoch;
    group.assignor = assignorName;
    for (const m of group.members.values()) if (m.leftTemporarily) group.reconcile(m);
    this.options.metrics.groupRebalances.inc({ group: group.groupId });
    this.options.logger.debug({ group: group.groupId, epoch: group.groupEpoch, members: group.members.size, assignor: assignorName }, 'new target assignment');
  }

  /** The assignor most members ask for; ties go to the broker default, then by name. */
  private chooseAssignor(group: ConsumerGroup): string {
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    const best = Math.max(0, ...votes.values());
    if (best === 0) return this.config.defaultAssignor;
    const tied = [...votes.keys()].filter((k) => votes.get(k) === best).sort();
    return tied.includes(this.config.defaultAssignor) ? this.config.defaultAssignor : tied[0]!;
  }

  /** Removes a member, frees its partitions and moves the group to a new epoch. */
  removeMember(group: ConsumerGroup, member: GroupMember, reason: RemovalReason): void {
    if (member.removed) return;
    const epochBefore = group.groupEpoch;
    const releasesBefore = group.releases;
    this.dispose(member);
    group.remove(member);
    this.remember(member.memberId, reasonText(reason));
    this.options.metrics.groupMembersRemoved.inc({ reason });
    this.options.metrics.groupMembers.set({ group: group.groupId }, group.members.size);
    this.options.logger.info({ group: group.groupId, member: member.memberId, instance: member.instanceId || undefined, reason }, 'member removed');
    this.maybeBump(group, true);
    this.dropIfUnused(group.groupId);
    this.notifyChanges(group.groupId, epochBefore, releasesBefore, member.memberId);
  }

  /**
   * Pushes GroupChanged to the members that asked for notifications and should heartbeat now:
   * every member when the group epoch moved since `epochBefore`, otherwise those waiting for a
   * partition released since `releasesBefore`. `except` (the member whose request or removal
   * caused the change) is not told.
   */
  private notifyChanges(groupId: string, epochBefore: number, releasesBefore: number, except: string): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    const epochMoved = group.groupEpoch !== epochBefore;
    if (!epochMoved && group.releases === releasesBefore) return;
    for (const m of group.members.values()) {
      if (m.memberId === except || !m.notify || m.notified || m.leftTemporarily) continue;
      if (!epochMoved && !group.canTakeReleased(m)) continue;
      m.notified = true;
      m.notify({ groupChanged: { groupId, memberId: m.memberId, groupEpoch: group.groupEpoch } });
    }
  }

  /** Forgets a group that has neither members nor committed offsets. */
  dropIfUnused(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group && group.members.size === 0 && !this.offsets.hasOffsets(groupId)) {
      this.groups.delete(groupId);
      this.options.metrics.groupMembers.remove({ group: groupId });
    }
  }

  private unknownMember(group: ConsumerGroup | undefined, req: ConsumerGroupHeartbeatRequest): StrataError {
    if (req.instanceId && group?.staticMembers.has(req.instanceId)) return fencedInstance(req.instanceId, req.memberId);
    const why = this.departed.get(req.memberId);
    return new StrataError(ERRORS.UNKNOWN_MEMBER_ID, `member ${req.memberId} is not in group ${req.groupId}${why ? ` (${why})` : ''}; rejoin with epoch 0`);
  }

  /** Why a recently removed member left, if it is remembered. */
  departureReason(memberId: string): string | undefined {
    return this.departed.get(memberId);
  }

  private armSessionTimer(group: ConsumerGroup, member: GroupMember): void {
    const clock = this.options.scheduler.clock;
    member.sessionDeadline = clock.now() + member.sessionTimeoutMs;
    if (member.cancelSessionTimer) return;
    const check = (delay: number) => {
      member.cancelSessionTimer = this.options.scheduler.schedule(delay, () => {
        member.cancelSessionTimer = null;
        if (member.removed) return;
        const left = member.sessionDeadline - clock.now();
        if (left > 0) check(left);
        else this.removeMember(group, member, 'session-timeout');
      });
    };
    check(member.sessionTimeoutMs);
  }

  private armRebalanceTimer(group: ConsumerGroup, member: GroupMember): void {
    const round = member.revocationRound;
    member.cancelRebalanceTimer = this.options.scheduler.schedule(member.rebalanceTimeoutMs, () => {
      member.cancelRebalanceTimer = null;
      if (!member.removed && member.state === 'unrevoked' && member.revocationRound === round) this.removeMember(group, member, 'rebalance-timeout');
    });
  }

  private cancelRebalanceTimer(member: GroupMember): void {
    member.cancelRebalanceTimer?.();
    member.cancelRebalanceTimer = null;
  }

  private watchConnection(member: GroupMember, conn: MemberConnection | undefined): void {
    if (!conn) return;
    member.clientId = conn.clientId;
    member.clientHost = conn.clientHost;
    if (member.connectionId === conn.id && member.stopWatchingConnection) return;
    member.stopWatchingConnection?.();
    member.connectionId = conn.id;
    member.connectionOpen = true;
    member.stopWatchingConnection = conn.onClose(() => {
      if (member.connectionId === conn.id) member.connectionOpen = false;
    });
  }

  /** Stops a member's timers, connection watch and notifications. */
  private dispose(member: GroupMember): void {
    member.notify = null;
    member.cancelSessionTimer?.();
    member.cancelSessionTimer = null;
    this.cancelRebalanceTimer(member);
    member.stopWatchingConnection?.();
    member.stopWatchingConnection = null;
  }

  private remember(memberId: string, why: string): void {
    this.departed.delete(memberId);
    this.departed.set(memberId, why);
    if (this.departed.size > MAX_DEPARTED) this.departed.delete(this.departed.keys().next().value!);
  }

  /** Stops every timer; later requests get COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    this.closed = true;
    this.offsets.close();
    for (const group of this.groups.values()) for (const m of group.members.values()) this.dispose(m);
  }
}

export function fencedInstance(instanceId: string, memberId: string): StrataError {
  return new StrataError(ERRORS.FENCED_INSTANCE_ID, `instance id ${instanceId} does not belong to member ${memberId || '(empty)'}: another member with this instance id replaced it`);
}

function reasonText(reason: RemovalReason): string {
  switch (reason) {
    case 'left':
      return 'it left the group';
    case 'session-timeout':
      return 'its session timed out';
    case 'rebalance-timeout':
      return 'it did not release revoked partitions within its rebalance timeout';
    case 'poll-timeout':
      return 'its poll_idle_ms exceeded its rebalance timeout';
  }
}
