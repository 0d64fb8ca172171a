/**
 * OffsetCommit and OffsetFetch on top of the coordinator's membership and its OffsetStore.
 *
 * A commit is accepted from the group's current member at its current epoch, or without a member
 * (member_id "", member_epoch -1) while the group has no members: this is how administrators
 * reset offsets. Request-level failures (loading, fencing, empty-group rule) put the same code on
 * the response and on every partition; partition-level failures (unknown partition, metadata too
 * large, negative offset) fail only that partition. Accepted partitions are written in one
 * record batch and acknowledged once durable.
 */
import {
  ERRORS,
  StrataError,
  utf8Length,
  type OffsetCommitRequest,
  type OffsetCommitResponseInit,
  type OffsetCommitTopicResultInit,
  type OffsetFetchPartitionInit,
  type OffsetFetchRequest,
  type OffsetFetchResponseInit,
} from '@strata/protocol';
import type { BrokerMetrics } from '../metrics';
import { LEAVE_EPOCH, fencedInstance, type GroupCoordinator } from './group-coordinator';
import { checkGroupId } from './member-params';
import type { OffsetCommitEntry } from './offset-store';
import { parseTp, tpKey } from './topic-partitions';

export async function commitOffsets(coordinator: GroupCoordinator, metrics: BrokerMetrics, req: OffsetCommitRequest): Promise<OffsetCommitResponseInit> {
  try {
    checkGroupId(req.groupId);
    coordinator.checkAvailable(req.groupId);
    checkCommitter(coordinator, req.groupId, req.memberId, req.memberEpoch, req.instanceId);
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    return {
      errorCode: e.errorCode,
      errorMessage: e.message,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: e.errorCode })) })),
    };
  }
  const entries: OffsetCommitEntry[] = [];
  /** Result of each entry, in the same order. */
  const accepted: Array<{ errorCode: number }> = [];
  const problems: string[] = [];
  const topics: OffsetCommitTopicResultInit[] = req.topics.map((t) => {
    const count = coordinator.catalog.partitionCount(t.name);
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        const result = { partition: p.partition, errorCode: 0 };
        if (count === undefined || p.partition < 0 || p.partition >= count) {
          result.errorCode = ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code;
          problems.push(`${t.name}-${p.partition} does not exist`);
        } else if (p.committedOffset < 0) {
          result.errorCode = ERRORS.INVALID_REQUEST.code;
          problems.push(`${t.name}-${p.partition}: committed offset ${p.committedOffset} is negative`);
        } else if (utf8Length(p.metadata) > coordinator.config.offsetMetadataMaxBytes) {
          result.errorCode = ERRORS.INVALID_COMMIT_OFFSET_SIZE.code;
          problems.push(`${t.name}-${p.partition}: metadata is longer than ${coordinator.config.offsetMetadataMaxBytes} bytes (offsets.metadata.max.bytes)`);
        } else {
          entries.push({ tp: tpKey(t.name, p.partition), offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
          accepted.push(result);
        }
        return result;
      }),
    };
  });
  try {
    await coordinator.offsets.commit(req.groupId, entries);
    if (entries.length > 0) metrics.offsetCommits.inc({ group: req.groupId }, entries.length);
  } catch (e) {
    const err = e instanceof StrataError ? e : new StrataError(ERRORS.KAFKA_STORAGE_ERROR, (e as Error).message);
    for (const result of accepted) result.errorCode = err.errorCode;
    problems.push(err.message);
  }
  return { errorCode: 0, errorMessage: problems.join('; '), topics };
}

/**
 * Throws the error an offset commit must fail with, if any: only the group's current member at
 * its current epoch may commit, or an administrator (member "" and epoch -1) while the group has
 * no members.
 */
export function checkCommitter(coordinator: GroupCoordinator, groupId: string, memberId: string, memberEpoch: number, instanceId: string): void {
  const group = coordinator.group(groupId);
  if (memberId === '' && memberEpoch === LEAVE_EPOCH) {
    if (group && group.members.size > 0) {
      throw new StrataError(ERRORS.NON_EMPTY_GROUP, `group ${groupId} has ${group.members.size} active members; offsets can be set without a member only while the group is empty`);
    }
    return;
  }
  const member = group?.members.get(memberId);
  if (!group || !member) {
    if (instanceId && group?.staticMembers.has(instanceId)) throw fencedInstance(instanceId, memberId);
    const why = coordinator.departureReason(memberId);
    throw new StrataError(ERRORS.UNKNOWN_MEMBER_ID, `member ${memberId || '(empty)'} is not in group ${groupId}${why ? ` (${why})` : ''}`);
  }
  if (instanceId && instanceId !== member.instanceId) throw fencedInstance(instanceId, memberId);
  if (memberEpoch > member.memberEpoch) {
    throw new StrataError(ERRORS.FENCED_MEMBER_EPOCH, `member epoch ${memberEpoch} is newer than the member's epoch ${member.memberEpoch}`);
  }
  if (memberEpoch < member.memberEpoch) {
    throw new StrataError(
      ERRORS.STALE_MEMBER_EPOCH,
      `member epoch ${memberEpoch} is older than the member's epoch ${member.memberEpoch}; retry with the epoch of the latest heartbeat response`,
    );
  }
}

export function fetchOffsets(coordinator: GroupCoordinator, req: OffsetFetchRequest): OffsetFetchResponseInit {
  try {
    checkGroupId(req.groupId);
    coordinator.checkAvailable(req.groupId);
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    return { errorCode: e.errorCode, errorMessage: e.message, topics: [] };
  }
  const committed = coordinator.offsets.groupOffsets(req.groupId);
  const none = (partition: number): OffsetFetchPartitionInit => ({ partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 });
  if (req.topics.length === 0) {
    const byTopic = new Map<string, OffsetFetchPartitionInit[]>();
    for (const [tp, c] of committed) {
      const { topic, partition } = parseTp(tp);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({ partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: 0 });
    }
    return {
      errorCode: 0,
      topics: [...byTopic.keys()].sort().map((name) => ({ name, partitions: byTopic.get(name)!.sort((a, b) => a.partition! - b.partition!) })),
    };
  }
  return {
    errorCode: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partition) => {
        const c = committed.get(tpKey(t.name, partition));
        return c ? { partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: 0 } : none(partition);
      }),
    })),
  };
}
