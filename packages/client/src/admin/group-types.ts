/** Arguments and results of the Admin's consumer-group operations. */
import type { TopicPartition } from '../consumer/subscription-state';

/**
 * empty: no members (offsets only); reconciling: some member has not reached the target
 * assignment yet; stable: every member holds its target; dead: the group does not exist.
 * ('assigning' is reserved: the broker computes targets at once.)
 */
export type GroupState = 'empty' | 'assigning' | 'reconciling' | 'stable' | 'dead';

export interface ListedGroupInfo {
  groupId: string;
  state: GroupState;
  /** Active members. */
  members: number;
}

export interface ListGroupsArgs {
  /** Only groups in these states. Omitted or empty: every group. */
  states?: readonly GroupState[];
}

export interface GroupMemberInfo {
  memberId: string;
  /** Static members only. */
  instanceId: string | null;
  clientId: string;
  /** The member's address as the broker sees it ('' when unknown). */
  clientHost: string;
  /** -2 while a static member is away. */
  memberEpoch: number;
  subscribedTopics: string[];
  /** The member's subscription expression, if any. */
  subscribedTopicRegex: string | null;
  /** What the member holds now (including partitions it is giving up). */
  assignment: TopicPartition[];
  /** What the coordinator wants it to hold. */
  targetAssignment: TopicPartition[];
}

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  /** The next offset the group will consume; -1 when nothing is committed. */
  committedOffset: number;
  /** The partition's high watermark. */
  logEndOffset: number;
  /** logEndOffset - committedOffset; -1 when nothing is committed. */
  lag: number;
  metadata: string;
}

export interface GroupDescriptionInfo {
  groupId: string;
  state: GroupState;
  groupEpoch: number;
  assignmentEpoch: number;
  /** The assignor the group uses. */
  assignor: string;
  /** The node id of the broker that coordinates the group (the leader of its __consumer_offsets partition). */
  coordinator: number;
  members: GroupMemberInfo[];
  /** Per partition that is committed, held or targeted (describeGroups with includeOffsets). */
  offsets: GroupPartitionLag[];
}

export interface DescribeGroupsOptions {
  /**
   * Add committed offsets and lag per partition.
   * @default true
   */
  includeOffsets?: boolean;
}

export interface FetchOffsetsArgs {
  groupId: string;
  /** Topics to report every partition of (-1 where nothing is committed). Omitted: every committed partition. */
  topics?: readonly string[];
}

export interface TopicOffsets {
  topic: string;
  partitions: Array<{ partition: number; offset: number; metadata: string }>;
}

/**
 * Where resetOffsets moves a group: the log start or end of every partition, the first offset at
 * or after a timestamp (ms since the epoch; the log end where there is none), or explicit offsets
 * of some partitions.
 */
export type ResetOffsetsTarget = 'earliest' | 'latest' | { timestamp: number } | { partitions: ReadonlyArray<{ partition: number; offset: number }> };

export interface ResetOffsetsArgs {
  groupId: string;
  topic: string;
  to: ResetOffsetsTarget;
}
