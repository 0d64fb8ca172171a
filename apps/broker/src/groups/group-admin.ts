/**
 * The administrative group APIs: ConsumerGroupDescribe, ListGroups and DeleteGroups.
 *
 * A group exists while it has members or committed offsets. Its state is "empty" without members,
 * "assigning" while a target is being computed (never observable on this single-threaded
 * coordinator), "reconciling" while some member has not reached the target, "stable" otherwise,
 * and "dead" for a group that does not exist. Deletion needs an empty group and removes its
 * offsets with tombstones in `__consumer_offsets`.
 */
import {
  ERRORS,
  StrataError,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponseInit,
  type DeleteGroupsRequest,
  type DeleteGroupsResponseInit,
  type GroupDescriptionInit,
  type GroupPartitionOffsetInit,
  type ListGroupsRequest,
  type ListGroupsResponseInit,
} from '@strata/protocol';
import type { GroupCoordinator } from './group-coordinator';
import { checkGroupId } from './member-params';
import { parseTp, sortedTps, toTopicPartitions, type TpKey } from './topic-partitions';

export function describeGroups(coordinator: GroupCoordinator, req: ConsumerGroupDescribeRequest): ConsumerGroupDescribeResponseInit {
  return { groups: req.groupIds.map((id) => describeGroup(coordinator, id, req.includeOffsets)) };
}

function describeGroup(coordinator: GroupCoordinator, groupId: string, includeOffsets: boolean): GroupDescriptionInit {
  try {
    checkGroupId(groupId);
    coordinator.checkAvailable(groupId);
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    return { groupId, errorCode: e.errorCode, errorMessage: e.message, state: 'dead' };
  }
  const group = coordinator.group(groupId);
  const committed = coordinator.offsets.groupOffsets(groupId);
  if ((!group || group.members.size === 0) && committed.size === 0) {
    return { groupId, errorCode: ERRORS.GROUP_ID_NOT_FOUND.code, errorMessage: `group ${groupId} does not exist`, state: 'dead', assignor: '' };
  }
  const partitions = new Set<TpKey>(committed.keys());
  const members = [...(group?.members.values() ?? [])].map((m) => {
    const target = group!.targetOf(m.memberId);
    for (const tp of m.holds()) partitions.add(tp);
    for (const tp of target) partitions.add(tp);
    return {
      memberId: m.memberId,
      instanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberEpoch: m.leftTemporarily ? -2 : m.memberEpoch,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: toTopicPartitions(m.holds()),
      targetAssignment: toTopicPartitions(target),
    };
  });
  const offsets: GroupPartitionOffsetInit[] = [];
  if (includeOffsets) {
    for (const tp of sortedTps(partitions)) {
      const { topic, partition } = parseTp(tp);
      const c = committed.get(tp);
      const end = coordinator.catalog.highWatermark(topic, partition) ?? -1;
      offsets.push({
        topic,
        partition,
        committedOffset: c?.offset ?? -1,
        logEndOffset: end,
        lag: c && end >= 0 ? Math.max(0, end - c.offset) : -1,
        metadata: c?.metadata ?? '',
      });
    }
  }
  return {
    errorCode: 0,
    errorMessage: '',
    groupId,
    state: group ? group.state() : 'empty',
    groupEpoch: group?.groupEpoch ?? 0,
    assignmentEpoch: group?.assignmentEpoch ?? 0,
    assignor: group?.assignor || coordinator.config.defaultAssignor,
    members,
    offsets,
  };
}

export function listGroups(coordinator: GroupCoordinator, req: ListGroupsRequest): ListGroupsResponseInit {
  try {
    coordinator.checkAvailable();
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    return { errorCode: e.errorCode, groups: [] };
  }
  const filter = new Set(req.statesFilter.map((s) => s.toLowerCase()));
  const groups = coordinator.groupIds().map((groupId) => {
    const group = coordinator.group(groupId);
    return { groupId, groupState: group ? group.state() : 'empty', members: group?.members.size ?? 0 };
  });
  return { errorCode: 0, groups: groups.filter((g) => filter.size === 0 || filter.has(g.groupState)) };
}

export async function deleteGroups(coordinator: GroupCoordinator, req: DeleteGroupsRequest): Promise<DeleteGroupsResponseInit> {
  const results = await Promise.all(
    req.groupIds.map(async (groupId) => {
      try {
        checkGroupId(groupId);
        coordinator.checkAvailable(groupId);
        const group = coordinator.group(groupId);
        if (group && group.members.size > 0) {
          throw new StrataError(ERRORS.NON_EMPTY_GROUP, `group ${groupId} has ${group.members.size} members; stop them (or wait for their sessions to expire) first`);
        }
        if (!group && !coordinator.offsets.hasOffsets(groupId)) throw new StrataError(ERRORS.GROUP_ID_NOT_FOUND, `group ${groupId} does not exist`);
        await coordinator.offsets.deleteGroup(groupId);
        coordinator.dropIfUnused(groupId);
        return { groupId, errorCode: 0, errorMessage: '' };
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
        return { groupId, errorCode: e.errorCode, errorMessage: e.message };
      }
    }),
  );
  return { results };
}
