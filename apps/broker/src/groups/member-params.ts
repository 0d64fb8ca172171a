/**
 * Validation of the member-level fields of a ConsumerGroupHeartbeat, and how they update a
 * member. On join every field is taken as given (0 / "" meaning "the broker default"); on later
 * heartbeats 0 / "" mean "unchanged", and the subscription changes only with
 * subscription_changed = true.
 */
import { ERRORS, StrataError, type ConsumerGroupHeartbeatRequest } from '@strata/protocol';
import type { AssignorRegistry } from './assignors';
import type { GroupMember } from './consumer-group';
import { subscriptionRegex } from './subscriptions';

export const MAX_ID_LENGTH = 255;

export interface GroupCoordinatorConfig {
  /** Session timeout of members that send 0. */
  sessionTimeoutMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Heartbeat interval told to a member that is waiting to revoke or to receive partitions. */
  reconcilingHeartbeatIntervalMs: number;
  /** Rebalance timeout of members that send 0. */
  rebalanceTimeoutMs: number;
  defaultAssignor: string;
  maxGroupSize: number;
  /** Longest metadata string an offset commit may carry, in UTF-8 bytes. */
  offsetMetadataMaxBytes: number;
}

export interface MemberParams {
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  serverAssignor: string;
  rackId: string;
  /** Present when the subscription is (re)stated. */
  subscription: { names: string[]; regex: string } | null;
}

export function checkGroupId(groupId: string): void {
  if (groupId.length === 0) throw new StrataError(ERRORS.INVALID_GROUP_ID, 'group_id must not be empty');
  if (groupId.length > MAX_ID_LENGTH) throw new StrataError(ERRORS.INVALID_GROUP_ID, `group_id is longer than ${MAX_ID_LENGTH} characters`);
}

export function checkIds(req: Pick<ConsumerGroupHeartbeatRequest, 'memberId' | 'instanceId'>): void {
  if (req.memberId.length > MAX_ID_LENGTH) throw new StrataError(ERRORS.INVALID_REQUEST, `member_id is longer than ${MAX_ID_LENGTH} characters`);
  if (req.instanceId.length > MAX_ID_LENGTH) throw new StrataError(ERRORS.INVALID_REQUEST, `instance_id is longer than ${MAX_ID_LENGTH} characters`);
}

/** Checks the request's member fields; `existing` is the member for a non-join heartbeat. */
export function memberParams(req: ConsumerGroupHeartbeatRequest, existing: GroupMember | null, config: GroupCoordinatorConfig, assignors: AssignorRegistry): MemberParams {
  let sessionTimeoutMs = existing?.sessionTimeoutMs ?? config.sessionTimeoutMs;
  if (req.sessionTimeoutMs !== 0) {
    if (req.sessionTimeoutMs < config.minSessionTimeoutMs || req.sessionTimeoutMs > config.maxSessionTimeoutMs) {
      throw new StrataError(
        ERRORS.INVALID_SESSION_TIMEOUT,
        `session_timeout_ms ${req.sessionTimeoutMs} is outside [${config.minSessionTimeoutMs}, ${config.maxSessionTimeoutMs}] (group.consumer.min/max.session.timeout.ms)`,
      );
    }
    sessionTimeoutMs = req.sessionTimeoutMs;
  }
  if (req.rebalanceTimeoutMs < 0) throw new StrataError(ERRORS.INVALID_REQUEST, `rebalance_timeout_ms must be >= 0, got ${req.rebalanceTimeoutMs}`);
  const rebalanceTimeoutMs = req.rebalanceTimeoutMs !== 0 ? req.rebalanceTimeoutMs : (existing?.rebalanceTimeoutMs ?? config.rebalanceTimeoutMs);
  if (req.serverAssignor && !assignors.get(req.serverAssignor)) {
    throw new StrataError(ERRORS.UNSUPPORTED_ASSIGNOR, `no assignor named ${JSON.stringify(req.serverAssignor)}; this broker offers ${assignors.names().join(', ')}`);
  }
  const serverAssignor = req.serverAssignor || (existing?.serverAssignor ?? '');
  const rackId = req.rackId || (existing?.rackId ?? '');
  let subscription: MemberParams['subscription'] = null;
  if (!existing || req.subscriptionChanged) {
    if (req.subscribedTopicRegex) subscriptionRegex(req.subscribedTopicRegex);
    subscription = { names: [...new Set(req.subscribedTopicNames)].sort(), regex: req.subscribedTopicRegex };
  }
  return { sessionTimeoutMs, rebalanceTimeoutMs, serverAssignor, rackId, subscription };
}

/** Applies validated params; returns true when the change needs a new target assignment. */
export function applyMemberParams(member: GroupMember, params: MemberParams): boolean {
  member.sessionTimeoutMs = params.sessionTimeoutMs;
  member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
  member.rackId = params.rackId;
  let changed = false;
  if (params.serverAssignor !== member.serverAssignor) {
    member.serverAssignor = params.serverAssignor;
    changed = true;
  }
  const sub = params.subscription;
  if (sub && (sub.regex !== member.subscribedTopicRegex || sub.names.join('\n') !== member.subscribedTopicNames.join('\n'))) {
    member.subscribedTopicNames = sub.names;
    member.subscribedTopicRegex = sub.regex;
    changed = true;
  }
  return changed;
}
