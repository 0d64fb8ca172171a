/**
 * A protocol-following consumer-group member for broker tests: it speaks ConsumerGroupHeartbeat
 * exactly as docs/groups.md tells a client to (join with epoch 0, echo the epoch, report owned
 * partitions when they change, give up revoked partitions before confirming), over any transport:
 * the GroupCoordinator directly, or a WireClient.
 *
 * It records what it was asked to revoke, so tests can check that kept partitions never are.
 */
import type { ConsumerGroupHeartbeatRequestInit, ConsumerGroupHeartbeatResponse } from '@strata/protocol';
import { fromTopicPartitions, toTopicPartitions, type TpKey } from '../../src/groups/topic-partitions';

export type HeartbeatTransport = (req: ConsumerGroupHeartbeatRequestInit) => Promise<ConsumerGroupHeartbeatResponse>;

export interface SimMemberOptions {
  groupId: string;
  topics?: string[];
  regex?: string;
  instanceId?: string;
  memberId?: string;
  assignor?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  /** Give up revoked partitions as soon as told (default). Off: hold them until release(). */
  autoRevoke?: boolean;
}

export class SimMember {
  memberId: string;
  epoch = 0;
  readonly owned = new Set<TpKey>();
  /** Partitions the coordinator asked it to give up that it still holds. */
  readonly revoking = new Set<TpKey>();
  /** Every partition it was ever asked to revoke. */
  readonly revoked: TpKey[] = [];
  lastResponse: ConsumerGroupHeartbeatResponse | null = null;
  autoRevoke: boolean;
  private ownedDirty = true;
  private subscriptionDirty = true;

  constructor(
    private readonly send: HeartbeatTransport,
    readonly options: SimMemberOptions,
  ) {
    this.memberId = options.memberId ?? '';
    this.autoRevoke = options.autoRevoke ?? true;
  }

  get joined(): boolean {
    return this.epoch > 0;
  }

  /** Sends one heartbeat (a join while epoch is 0) and applies the answer. */
  async heartbeat(extra: Partial<ConsumerGroupHeartbeatRequestInit> = {}): Promise<ConsumerGroupHeartbeatResponse> {
    const o = this.options;
    const req: ConsumerGroupHeartbeatRequestInit = {
      groupId: o.groupId,
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: o.instanceId ?? '',
      rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 0,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 0,
      subscriptionChanged: this.subscriptionDirty,
      subscribedTopicNames: o.topics ?? [],
      subscribedTopicRegex: o.regex ?? '',
      serverAssignor: o.assignor ?? '',
      ownedChanged: this.ownedDirty,
      owned: toTopicPartitions(this.owned),
      ...extra,
    };
    const sentOwned = req.ownedChanged;
    const res = await this.send(req);
    this.lastResponse = res;
    if (res.errorCode !== 0) return res;
    if (sentOwned) this.ownedDirty = false;
    this.subscriptionDirty = false;
    this.memberId = res.memberId;
    this.epoch = res.memberEpoch;
    if (res.hasAssignment) this.apply(fromTopicPartitions(res.assignment));
    return res;
  }

  private apply(next: Set<TpKey>): void {
    for (const tp of this.owned) {
      if (!next.has(tp) && !this.revoking.has(tp)) {
        this.revoked.push(tp);
        this.revoking.add(tp);
      }
    }
    for (const tp of next) {
      this.revoking.delete(tp);
      if (!this.owned.has(tp)) {
        this.owned.add(tp);
        this.ownedDirty = true;
      }
    }
    if (this.autoRevoke) this.release();
  }

  /** Stops consuming the partitions being revoked; the next heartbeat confirms it. */
  release(): void {
    if (this.revoking.size === 0) return;
    for (const tp of this.revoking) this.owned.delete(tp);
    this.revoking.clear();
    this.ownedDirty = true;
  }

  /** Leaves for good (-1) or, for a static member, temporarily (-2). */
  async leave(temporarily = false): Promise<ConsumerGroupHeartbeatResponse> {
    const res = await this.send({ groupId: this.options.groupId, memberId: this.memberId, memberEpoch: temporarily ? -2 : -1, instanceId: this.options.instanceId ?? '' });
    this.owned.clear();
    this.epoch = 0;
    return res;
  }

  /** Forgets everything, as a fenced member must, and rejoins on the next heartbeat. */
  reset(keepMemberId = true): void {
    this.owned.clear();
    this.revoking.clear();
    this.epoch = 0;
    if (!keepMemberId) this.memberId = '';
    this.ownedDirty = true;
    this.subscriptionDirty = true;
  }
}

/** Throws when two members own the same partition. */
export function expectExclusive(members: readonly SimMember[]): void {
  const seen = new Map<TpKey, string>();
  for (const m of members) {
    for (const tp of m.owned) {
      const other = seen.get(tp);
      if (other !== undefined) throw new Error(`partition ${tp} owned by both ${other} and ${m.memberId}`);
      seen.set(tp, m.memberId);
    }
  }
}

/**
 * Heartbeats every member in turn until a full round changes nothing and every member holds
 * exactly its last assignment, checking exclusive ownership after every heartbeat.
 */
export async function converge(members: readonly SimMember[], maxRounds = 20): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    let changed = false;
    for (const m of members) {
      const before = [...m.owned].sort().join(',') + `@${m.epoch}`;
      const res = await m.heartbeat();
      if (res.errorCode !== 0) throw new Error(`heartbeat of ${m.memberId || '(joining)'} failed: ${res.errorCode} ${res.errorMessage}`);
      expectExclusive(members);
      if ([...m.owned].sort().join(',') + `@${m.epoch}` !== before || res.hasAssignment) changed = true;
    }
    if (!changed) return round;
  }
  throw new Error(`group did not settle within ${maxRounds} rounds`);
}
