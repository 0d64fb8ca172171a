/**
 * Consumer-group descriptions in KafkaJS's shape (admin.describeGroups, consumer.describeGroup):
 * states named as Kafka's classic groups name them, members with their assignment and subscription
 * encoded in the consumer protocol (decode them with AssignerProtocol, as in KafkaJS).
 */
import { Buffer } from 'node:buffer';
import type { GroupDescriptionInfo, GroupState } from '../admin/group-types';
import { AssignerProtocol, type Assignment } from './assigner-protocol';

export type ConsumerGroupState = 'Unknown' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Empty';

export interface MemberDescription {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
}

export interface GroupDescription {
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
}

export interface GroupDescriptions {
  groups: GroupDescription[];
}

const STATES: Readonly<Record<GroupState, ConsumerGroupState>> = {
  empty: 'Empty',
  assigning: 'CompletingRebalance',
  reconciling: 'CompletingRebalance',
  stable: 'Stable',
  dead: 'Dead',
};

export function toGroupDescription(g: GroupDescriptionInfo): GroupDescription {
  return {
    groupId: g.groupId,
    state: STATES[g.state] ?? 'Unknown',
    protocol: g.assignor,
    protocolType: 'consumer',
    members: g.members.map((m) => {
      const assignment: Assignment = {};
      for (const tp of m.assignment) (assignment[tp.topic] ??= []).push(tp.partition);
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
        memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: m.subscribedTopics, userData: Buffer.alloc(0) }),
      };
    }),
  };
}
