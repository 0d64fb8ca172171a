/**
 * The Admin's consumer-group operations: list, describe (members, assignments, committed offsets
 * and lag), fetch and reset committed offsets, delete. Group requests go to the group's
 * coordinator (FindCoordinator); ListGroups to any broker (a single broker coordinates every
 * group).
 *
 * Resetting offsets is an administrative commit (member "" at epoch -1), which the coordinator
 * accepts only while the group has no members: NON_EMPTY_GROUP otherwise, with a message that says
 * to stop the members first. Retriable failures are retried by the caller's Retrier; group-level
 * errors are thrown as typed errors (a StrataAggregateError when several groups fail).
 * Stateless apart from the cluster; safe to call concurrently.
 */
import { ERRORS, OffsetSpec, StrataError, errorFromCode, type GroupDescription, type TopicPartitions } from '@strata/protocol';
import type { Cluster } from '../cluster/cluster';
import { listOffsets } from '../cluster/list-offsets';
import { CoordinatorLink } from '../consumer/group/coordinator-link';
import type { TopicPartition } from '../consumer/subscription-state';
import { StrataAggregateError, StrataArgumentError } from '../errors';
import type { Retrier } from '../retry';
import type {
  DescribeGroupsOptions,
  FetchOffsetsArgs,
  GroupDescriptionInfo,
  GroupState,
  ListGroupsArgs,
  ListedGroupInfo,
  ResetOffsetsArgs,
  TopicOffsets,
} from './group-types';

const STATES: readonly GroupState[] = ['empty', 'assigning', 'reconciling', 'stable', 'dead'];

export class GroupAdmin {
  constructor(
    private readonly cluster: Cluster,
    private readonly retrier: Retrier,
  ) {}

  async listGroups(args: ListGroupsArgs = {}): Promise<ListedGroupInfo[]> {
    const states = args.states ?? [];
    for (const s of states) if (!STATES.includes(s)) throw new StrataArgumentError(`listGroups: unknown state "${String(s)}"; expected one of ${STATES.join(', ')}`);
    const response = await this.retrier.run(async () => {
      const res = await this.cluster.requestAny('ListGroups', { statesFilter: [...states] });
      if (res.errorCode !== 0) throw errorFromCode(res.errorCode);
      return res;
    });
    return response.groups.map((g) => ({ groupId: g.groupId, state: stateOf(g.groupState), members: g.members }));
  }

  /** Unknown groups are described with state 'dead' and nothing else. */
  async describeGroups(groupIds: readonly string[], options: DescribeGroupsOptions = {}): Promise<GroupDescriptionInfo[]> {
    if (!Array.isArray(groupIds) || groupIds.length === 0) throw new StrataArgumentError('describeGroups: expected a non-empty array of group ids');
    for (const id of groupIds) checkGroupId(id, 'describeGroups');
    const includeOffsets = options.includeOffsets ?? true;
    const described = await Promise.all(
      groupIds.map((groupId) =>
        this.groupRequest(groupId, async (link) => {
          const res = await link.request('ConsumerGroupDescribe', { groupIds: [groupId], includeOffsets });
          const g = res.groups[0];
          if (!g) throw new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, `the coordinator did not describe group "${groupId}"`);
          if (g.errorCode !== 0 && g.errorCode !== ERRORS.GROUP_ID_NOT_FOUND.code) {
            link.noteError(g.errorCode);
            throw errorFromCode(g.errorCode, g.errorMessage || undefined);
          }
          return { ...toDescription(g), coordinator: link.nodeId };
        }),
      ),
    );
    if (includeOffsets) await Promise.all(described.map((d) => this.fillLogEnds(d)));
    return described;
  }

  /**
   * In a cluster the coordinator knows the log end only of partitions it holds a replica of; the
   * others come back as -1. Their leaders answer instead (ListOffsets LATEST), so lag is known for
   * every partition. A partition whose leader cannot answer keeps -1 (unknown), never a guess.
   */
  private async fillLogEnds(description: GroupDescriptionInfo): Promise<void> {
    const missing = new Map<string, number[]>();
    for (const o of description.offsets) if (o.logEndOffset < 0) missing.set(o.topic, [...(missing.get(o.topic) ?? []), o.partition]);
    if (missing.size === 0) return;
    const ends = new Map<string, number>();
    await Promise.all(
      [...missing].map(async ([topic, partitions]) => {
        try {
          const found = await this.retrier.run(() => listOffsets(this.cluster, topic, partitions, OffsetSpec.LATEST));
          for (const [partition, listed] of found) ends.set(`${topic}\0${partition}`, listed.offset);
        } catch (e) {
          // A deleted topic or an unreachable leader: lag stays unknown (-1) for these partitions.
          this.cluster.logger.debug(`describeGroups: no log end offsets for ${topic}; its lag stays unknown`, { error: e instanceof Error ? e.message : String(e) });
        }
      }),
    );
    for (const o of description.offsets) {
      const end = ends.get(`${o.topic}\0${o.partition}`);
      if (o.logEndOffset >= 0 || end === undefined) continue;
      o.logEndOffset = end;
      o.lag = o.committedOffset >= 0 ? Math.max(0, end - o.committedOffset) : -1;
    }
  }

  async fetchOffsets(args: FetchOffsetsArgs): Promise<TopicOffsets[]> {
    checkGroupId(args?.groupId, 'fetchOffsets');
    const topics: Array<{ name: string; partitions: number[] }> = [];
    for (const topic of args.topics ?? []) {
      const metadata = await this.retrier.run(() => this.cluster.topicMetadata(topic));
      topics.push({ name: topic, partitions: metadata.partitions.map((p) => p.partition) });
    }
    const response = await this.groupRequest(args.groupId, async (link) => {
      const res = await link.request('OffsetFetch', { groupId: args.groupId, topics });
      if (res.errorCode !== 0) {
        link.noteError(res.errorCode);
        throw errorFromCode(res.errorCode, res.errorMessage || undefined);
      }
      return res;
    });
    return response.topics.map((t) => ({
      topic: t.name,
      partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.committedOffset, metadata: p.metadata })),
    }));
  }

  /** Sets the group's committed offsets of `topic`; returns what was committed. */
  async resetOffsets(args: ResetOffsetsArgs): Promise<Array<{ partition: number; offset: number }>> {
    checkGroupId(args?.groupId, 'resetOffsets');
    if (typeof args.topic !== 'string' || args.topic.length === 0) throw new StrataArgumentError('resetOffsets: topic is required');
    const offsets = await this.targetOffsets(args);
    const response = await this.groupRequest(args.groupId, (link) =>
      link.request('OffsetCommit', {
        groupId: args.groupId,
        memberId: '',
        memberEpoch: -1,
        instanceId: '',
        topics: [{ name: args.topic, partitions: offsets.map((o) => ({ partition: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, metadata: '' })) }],
      }),
    );
    if (response.errorCode === ERRORS.NON_EMPTY_GROUP.code) {
      throw new StrataError(
        ERRORS.NON_EMPTY_GROUP,
        `cannot reset the offsets of group "${args.groupId}": it has active members (${response.errorMessage}); stop its consumers (or wait for their sessions to expire) and try again`,
      );
    }
    if (response.errorCode !== 0) throw errorFromCode(response.errorCode, response.errorMessage || undefined);
    const failed: StrataError[] = [];
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) failed.push(errorFromCode(p.errorCode, `${t.name}-${p.partition}: ${response.errorMessage || errorFromCode(p.errorCode).message}`));
      }
    }
    if (failed.length > 0) throw failed.length === 1 ? failed[0]! : new StrataAggregateError(failed, `resetOffsets failed for ${failed.length} partitions`);
    return offsets;
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (!Array.isArray(groupIds) || groupIds.length === 0) throw new StrataArgumentError('deleteGroups: expected a non-empty array of group ids');
    for (const id of groupIds) checkGroupId(id, 'deleteGroups');
    const results = await Promise.all(
      groupIds.map((groupId) =>
        this.groupRequest(groupId, async (link) => {
          const res = await link.request('DeleteGroups', { groupIds: [groupId] });
          const r = res.results[0];
          if (r && r.errorCode !== 0 && errorFromCode(r.errorCode).retriable) {
            link.noteError(r.errorCode);
            throw errorFromCode(r.errorCode, r.errorMessage || undefined);
          }
          return r;
        }),
      ),
    );
    const errors: StrataError[] = [];
    results.forEach((r, i) => {
      if (!r) errors.push(new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, `the coordinator did not answer for group "${groupIds[i]}"`));
      else if (r.errorCode !== 0) errors.push(errorFromCode(r.errorCode, r.errorMessage || undefined));
    });
    if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new StrataAggregateError(errors, `deleteGroups failed for ${errors.length} groups`);
  }

  private async targetOffsets(args: ResetOffsetsArgs): Promise<Array<{ partition: number; offset: number }>> {
    const to = args.to;
    if (to !== null && typeof to === 'object' && 'partitions' in to) {
      if (!Array.isArray(to.partitions) || to.partitions.length === 0) throw new StrataArgumentError('resetOffsets: to.partitions must be a non-empty array of { partition, offset }');
      for (const p of to.partitions) {
        if (!Number.isInteger(p?.partition) || p.partition < 0 || !Number.isSafeInteger(p.offset) || p.offset < 0) {
          throw new StrataArgumentError('resetOffsets: each of to.partitions needs an integer partition >= 0 and offset >= 0');
        }
      }
      return to.partitions.map((p) => ({ partition: p.partition, offset: p.offset }));
    }
    let spec: number;
    if (to === 'earliest') spec = OffsetSpec.EARLIEST;
    else if (to === 'latest') spec = OffsetSpec.LATEST;
    else if (to !== null && typeof to === 'object' && 'timestamp' in to && Number.isSafeInteger(to.timestamp) && to.timestamp >= 0) spec = to.timestamp;
    else throw new StrataArgumentError("resetOffsets: `to` must be 'earliest', 'latest', { timestamp } (ms since the epoch) or { partitions: [{ partition, offset }] }");
    return this.retrier.run(async () => {
      const metadata = await this.cluster.topicMetadata(args.topic);
      const partitions = metadata.partitions.map((p) => p.partition);
      const found = await listOffsets(this.cluster, args.topic, partitions, spec);
      const ends = spec >= 0 ? await listOffsets(this.cluster, args.topic, partitions, OffsetSpec.LATEST) : found;
      return partitions.map((partition) => {
        const offset = found.get(partition)!.offset;
        return { partition, offset: offset >= 0 ? offset : ends.get(partition)!.offset };
      });
    });
  }

  /** Runs `operation` against the group's coordinator, retrying retriable failures. */
  private groupRequest<T>(groupId: string, operation: (link: CoordinatorLink) => Promise<T>): Promise<T> {
    const link = new CoordinatorLink(this.cluster, groupId);
    return this.retrier.run(() => operation(link));
  }
}

function checkGroupId(groupId: unknown, operation: string): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > 255) {
    throw new StrataArgumentError(`${operation}: a group id is a non-empty string of at most 255 characters`);
  }
}

function stateOf(state: string): GroupState {
  return (STATES as readonly string[]).includes(state) ? (state as GroupState) : 'dead';
}

function partitionsOf(list: readonly TopicPartitions[]): TopicPartition[] {
  return list.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

function toDescription(g: GroupDescription): Omit<GroupDescriptionInfo, 'coordinator'> {
  return {
    groupId: g.groupId,
    state: g.errorCode === ERRORS.GROUP_ID_NOT_FOUND.code ? 'dead' : stateOf(g.state),
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignor: g.assignor,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId || null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberEpoch: m.memberEpoch,
      subscribedTopics: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex || null,
      assignment: partitionsOf(m.assignment),
      targetAssignment: partitionsOf(m.targetAssignment),
    })),
    offsets: g.offsets.map((o) => ({ topic: o.topic, partition: o.partition, committedOffset: o.committedOffset, logEndOffset: o.logEndOffset, lag: o.lag, metadata: o.metadata })),
  };
}
