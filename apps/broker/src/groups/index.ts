export { builtInAssignors, AssignorRegistry, type PartitionAssignor } from './assignors';
export { GroupCoordinator, type GroupCoordinatorOptions, type MemberConnection } from './group-coordinator';
export type { GroupCoordinatorConfig } from './member-params';
export { OffsetStore, type OffsetsPartition } from './offset-store';
export type { TopicCatalog } from './subscriptions';
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
