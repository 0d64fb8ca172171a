/**
 * ConsumerGroup and GroupMember: the state of one consumer group and the incremental
 * reconciliation that moves each member from its current assignment to its target.
 *
 * Epochs: `groupEpoch` moves whenever membership, subscriptions or subscribed topics change;
 * `assignmentEpoch` is the group epoch the target assignment was computed for (the coordinator
 * recomputes the target at once, so the two are equal between requests). A member's
 * `memberEpoch` is the epoch of the assignment it has been given and may act on; it reaches the
 * assignment epoch once the member has given up everything it must revoke.
 *
 * Invariants:
 * - owners maps a partition to the one member holding it: `owners.get(tp) === m.memberId` iff
 *   tp ∈ m.assigned ∪ m.pendingRevocation. No partition is ever held by two members.
 * - A member is handed a partition only when no other member holds it (revoke before assign).
 * - A member never loses a partition that stays in its target: reconciliation only removes
 *   `assigned \ target`.
 * - state 'unrevoked' iff pendingRevocation is non-empty; the member's epoch does not move until
 *   it confirms the revocation (or leaves, or is removed, or a newer target gives back every
 *   partition being revoked).
 *
 * Not thread-safe: event loop only; every method runs to completion without awaiting.
 */
import type { PushInit } from '@strata/protocol';
import { difference, intersection, type TpKey } from './topic-partitions';

/**
 * stable: holds exactly its target at the assignment epoch.
 * unrevoked: was asked to give up `pendingRevocation` and has not confirmed yet.
 * unreleased: at the assignment epoch, but part of its target is still held by other members.
 */
export type MemberState = 'stable' | 'unrevoked' | 'unreleased';

export type GroupState = 'empty' | 'assigning' | 'reconciling' | 'stable';

export class GroupMember {
  instanceId = '';
  rackId = '';
  clientId = '';
  clientHost = '';
  sessionTimeoutMs = 0;
  rebalanceTimeoutMs = 0;
  /** Sorted, without duplicates. */
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex = '';
  serverAssignor = '';
  memberEpoch = 0;
  /** The epoch before the last bump: a heartbeat carrying it lost the response that moved it. */
  previousMemberEpoch = -1;
  state: MemberState = 'stable';
  /** Partitions the member may consume. */
  assigned = new Set<TpKey>();
  /** Partitions the member was asked to give up and still holds until it confirms. */
  pendingRevocation = new Set<TpKey>();
  /** Bumped whenever `assigned` or the epoch changes; compared with `sentVersion` to decide has_assignment. */
  assignmentVersion = 0;
  sentVersion = -1;
  /** Static member that left with epoch -2: keeps its assignment until it returns or its session expires. */
  leftTemporarily = false;
  /** Set once removed, so timers and close listeners of a departed member do nothing. */
  removed = false;
  /** Revocation round, so a rebalance timer armed for an earlier round does nothing. */
  revocationRound = 0;
  sessionDeadline = 0;
  connectionId = -1;
  connectionOpen = true;
  cancelSessionTimer: (() => void) | null = null;
  cancelRebalanceTimer: (() => void) | null = null;
  stopWatchingConnection: (() => void) | null = null;
  /** Pushes GroupChanged to the member's connection (it asked with notify_changes), or null. */
  notify: ((push: PushInit) => void) | null = null;
  /** Notified since its last heartbeat: one notification per heartbeat is enough. */
  notified = false;

  constructor(readonly memberId: string) {}

  /** Everything the member holds: assigned plus pending revocation. */
  holds(): Set<TpKey> {
    const all = new Set(this.assigned);
    for (const tp of this.pendingRevocation) all.add(tp);
    return all;
  }
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** Name of the assignor that computed the target. */
  assignor = '';
  readonly members = new Map<string, GroupMember>();
  /** instance id -> member id of the static member holding it. */
  readonly staticMembers = new Map<string, string>();
  /** member id -> target assignment. */
  target = new Map<string, Set<TpKey>>();
  readonly owners = new Map<TpKey, string>();
  /** Fingerprint of the subscribed topics' partition counts the target was computed with. */
  topicsFingerprint = '';
  /** TopicCatalog version the fingerprint was computed at. */
  topicsVersion = -1;
  /** Counts release() calls that freed a partition: members waiting for one may now get it. */
  releases = 0;

  constructor(readonly groupId: string) {}

  targetOf(memberId: string): ReadonlySet<TpKey> {
    return this.target.get(memberId) ?? EMPTY;
  }

  state(): GroupState {
    if (this.members.size === 0) return 'empty';
    if (this.assignmentEpoch < this.groupEpoch) return 'assigning';
    for (const m of this.members.values()) {
      if (m.state !== 'stable' || m.memberEpoch !== this.assignmentEpoch) return 'reconciling';
    }
    return 'stable';
  }

  /** Gives up partitions the member held, making them available to their new owners. */
  release(member: GroupMember, tps: Iterable<TpKey>): void {
    for (const tp of tps) {
      if (this.owners.get(tp) === member.memberId) {
        this.owners.delete(tp);
        this.releases++;
      }
      member.assigned.delete(tp);
      member.pendingRevocation.delete(tp);
    }
    if (member.pendingRevocation.size === 0 && member.state === 'unrevoked') member.state = 'unreleased';
  }

  /** The member confirmed it no longer consumes its pending revocations. */
  confirmRevocation(member: GroupMember): void {
    this.release(member, [...member.pendingRevocation]);
    member.revocationRound++;
  }

  /**
   * Moves the member one step towards its target; returns true when its assignment or epoch
   * changed. A member that must give partitions up is first told to revoke them (its epoch stays);
   * once it holds nothing outside its target it moves to the assignment epoch and receives the
   * target partitions no other member holds.
   */
  reconcile(member: GroupMember): boolean {
    const target = this.targetOf(member.memberId);
    if (member.leftTemporarily) {
      // Away, so consuming nothing: what it no longer targets is free at once; the rest waits for it.
      const drop = difference(member.assigned, target);
      if (drop.size === 0) return false;
      this.release(member, drop);
      member.assignmentVersion++;
      return true;
    }
    if (member.state === 'unrevoked') {
      // A newer target may give back partitions still being revoked: the member keeps them.
      const back = intersection(member.pendingRevocation, target);
      if (back.size === 0) return false;
      for (const tp of back) {
        member.pendingRevocation.delete(tp);
        member.assigned.add(tp);
      }
      member.assignmentVersion++;
      if (member.pendingRevocation.size > 0) return true;
      member.state = 'unreleased';
      member.revocationRound++;
      this.reconcile(member);
      return true;
    }
    const revoke = difference(member.assigned, target);
    if (revoke.size > 0) {
      member.assigned = intersection(member.assigned, target);
      member.pendingRevocation = revoke;
      member.state = 'unrevoked';
      member.revocationRound++;
      member.assignmentVersion++;
      return true;
    }
    let changed = false;
    for (const tp of target) {
      if (member.assigned.has(tp)) continue;
      const owner = this.owners.get(tp);
      if (owner !== undefined && owner !== member.memberId) continue;
      this.owners.set(tp, member.memberId);
      member.assigned.add(tp);
      changed = true;
    }
    if (member.memberEpoch !== this.assignmentEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = this.assignmentEpoch;
      changed = true;
    }
    member.state = member.assigned.size === target.size ? 'stable' : 'unreleased';
    if (changed) member.assignmentVersion++;
    return changed;
  }

  /** True when the member waits for a partition of its target that nobody holds any more. */
  canTakeReleased(member: GroupMember): boolean {
    if (member.state !== 'unreleased') return false;
    for (const tp of this.targetOf(member.memberId)) if (!member.assigned.has(tp) && !this.owners.has(tp)) return true;
    return false;
  }

  /** Removes the member and frees everything it held. The caller bumps the epoch. */
  remove(member: GroupMember): void {
    this.release(member, member.holds());
    this.members.delete(member.memberId);
    this.target.delete(member.memberId);
    if (member.instanceId && this.staticMembers.get(member.instanceId) === member.memberId) this.staticMembers.delete(member.instanceId);
    member.removed = true;
  }

  /**
   * A static member returns under a new member id: `next` takes over `previous`'s epoch,
   * assignment and target, so nothing moves and the group epoch stays. Pending revocations are
   * freed, since the previous incarnation no longer consumes anything.
   */
  replace(previous: GroupMember, next: GroupMember): void {
    this.release(previous, [...previous.pendingRevocation]);
    next.memberEpoch = previous.memberEpoch;
    next.previousMemberEpoch = previous.previousMemberEpoch;
    next.assigned = new Set(previous.assigned);
    next.state = previous.state === 'unrevoked' ? 'unreleased' : previous.state;
    next.subscribedTopicNames = previous.subscribedTopicNames;
    next.subscribedTopicRegex = previous.subscribedTopicRegex;
    next.serverAssignor = previous.serverAssignor;
    for (const tp of next.assigned) this.owners.set(tp, next.memberId);
    const target = this.target.get(previous.memberId);
    this.target.delete(previous.memberId);
    if (target) this.target.set(next.memberId, target);
    this.members.delete(previous.memberId);
    previous.removed = true;
    previous.assigned = new Set();
    this.members.set(next.memberId, next);
    if (next.instanceId) this.staticMembers.set(next.instanceId, next.memberId);
  }
}

const EMPTY: ReadonlySet<TpKey> = new Set();
