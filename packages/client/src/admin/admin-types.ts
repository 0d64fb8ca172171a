/** Arguments and results of Admin operations. */

/** Topic configs as a list of name/value pairs or as an object. */
export type TopicConfigEntries = ReadonlyArray<{ name: string; value: string }> | Readonly<Record<string, string>>;

export interface NewTopic {
  topic: string;
  /**
   * @default the broker's `num.partitions`
   */
  numPartitions?: number;
  /**
   * Replicas per partition. Omitted: the broker's default.
   */
  replicationFactor?: number;
  /** Topic-level configs, e.g. `{ 'retention.ms': '86400000' }`. */
  configs?: TopicConfigEntries;
}

export interface CreateTopicsArgs {
  topics: readonly NewTopic[];
  /** Only check that the topics could be created. @default false */
  validateOnly?: boolean;
  /** How long the broker may take, in milliseconds. @default the client's requestTimeoutMs */
  timeout?: number;
}

export interface CreatedTopic {
  topic: string;
  numPartitions: number;
}

export interface DeleteTopicsArgs {
  topics: readonly string[];
  /** How long the broker may take, in milliseconds. @default the client's requestTimeoutMs */
  timeout?: number;
}

export interface PartitionDescription {
  partition: number;
  /** Node id of the leader, -1 when none. */
  leader: number;
  leaderEpoch: number;
  /** First offset still in the log. */
  logStartOffset: number;
  /** Offset the next record will get. */
  logEndOffset: number;
  /** Offsets below it are readable by consumers. */
  highWatermark: number;
  /** Bytes on disk. */
  size: number;
  segmentCount: number;
  /** Broker ids holding a copy, the preferred leader first. */
  replicas: number[];
  /** Replicas in sync with the leader. */
  isr: number[];
}

export interface TopicConfigDescription {
  name: string;
  value: string;
  /** True when the value is the broker default rather than set on the topic. */
  isDefault: boolean;
}

export interface TopicDescription {
  name: string;
  isInternal: boolean;
  partitions: PartitionDescription[];
  configs: TopicConfigDescription[];
}

export interface AlterTopicConfigsArgs {
  topics: ReadonlyArray<{
    topic: string;
    /** Settings to give the topic its own value of. */
    set?: TopicConfigEntries;
    /** Settings to remove from the topic: the broker default applies again. */
    remove?: readonly string[];
  }>;
  /** Only check the changes. @default false */
  validateOnly?: boolean;
}

export interface TopicConfigs {
  topic: string;
  /** Every topic setting with its effective value and whether it is the broker default. */
  configs: TopicConfigDescription[];
}

export interface DescribeTopicsArgs {
  /** Topics to describe; omitted or empty: every topic. */
  topics?: readonly string[];
}

export interface BrokerDescription {
  nodeId: number;
  /** The URL clients use to reach it. */
  url: string;
  /** Its rack, or null when it has none. */
  rack: string | null;
  /** The broker's epoch in the cluster (0 for a single broker). */
  epoch: number;
}

export interface PartitionPlacement {
  partition: number;
  /** Node id of the leader, -1 when none. */
  leader: number;
  leaderEpoch: number;
  /** Node ids holding a replica, the preferred leader first. */
  replicas: number[];
  /** Replicas in sync with the leader. */
  isr: number[];
}

export interface PartitionReplicaInfo extends PartitionPlacement {
  topic: string;
}

export interface ClusterDescription {
  clusterId: string;
  /** Node id of the controller, -1 when none. */
  controller: number;
  /** The controller's epoch (0 for a single broker). */
  controllerEpoch: number;
  brokers: BrokerDescription[];
  partitionCount: number;
  /** Partitions whose ISR is smaller than their replica list. */
  underReplicated: PartitionReplicaInfo[];
  /** Partitions without a leader. */
  offline: PartitionReplicaInfo[];
  /** Every topic (internal ones included) with the placement of its partitions. */
  topics: Array<{ name: string; isInternal: boolean; partitions: PartitionPlacement[] }>;
}

export interface TopicPartitionOffsets {
  partition: number;
  /** Log start offset. */
  low: number;
  /** High watermark: the offset the next record will get. */
  high: number;
  /** Same as `high` (KafkaJS compatibility). */
  offset: number;
}

export interface PartitionOffset {
  partition: number;
  offset: number;
}
