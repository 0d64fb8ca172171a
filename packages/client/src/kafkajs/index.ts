/**
 * @strata/client/kafkajs: KafkaJS's API over the Strata SDK, so that a KafkaJS program runs against
 * a Strata broker after changing only its import:
 *
 *     import { Kafka, logLevel, CompressionTypes } from '@strata/client/kafkajs';
 *
 * Node only (KafkaJS is). Shapes follow KafkaJS 2.x: offsets and timestamps as strings, received
 * keys and values as Buffers, RecordMetadata per partition, the `events` maps, KafkaJS error
 * classes with `retriable`. What this layer cannot honour is refused by name, never ignored:
 * docs/migrating-from-kafkajs.md lists every option and its mapping.
 */
export { Kafka, type KafkaConfig, type BrokersFunction } from './kafka';
export { Producer, type ProducerConfig, type ProducerRecord, type ProducerBatch, type TopicMessages, type RecordMetadata } from './producer';
export {
  Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopics,
  type ConsumerSubscribeTopic,
  type EachMessagePayload,
  type EachBatchPayload,
  type EachMessageHandler,
  type EachBatchHandler,
  type TopicPartitionOffsetAndMetadata,
  type OffsetsByTopicPartition,
  type TopicPartitions,
} from './consumer';
export {
  Admin,
  ConfigResourceTypes,
  ConfigSource,
  type AdminConfig,
  type ITopicConfig,
  type ITopicMetadata,
  type SeekEntry,
  type ConfigEntries,
  type DescribeConfigResponse,
  type ResourceConfigQuery,
  type IResourceConfig,
} from './admin';
export type { Message, KafkaMessage, Batch, IHeaders } from './messages';
export type { GroupDescription, GroupDescriptions, MemberDescription, ConsumerGroupState } from './groups';
export { logLevel, type LogEntry, type LoggerEntryContent, type logCreator, type Logger } from './logger';
export { CompressionTypes, CompressionCodecs, type KafkaJSCodec } from './compression';
export { Partitioners, type ICustomPartitioner, type DefaultPartitioner, type LegacyPartitioner, type PartitionerArgs, type PartitionMetadata } from './partitioners';
export { AssignerProtocol, PartitionAssigners, type PartitionAssigner, type MemberMetadata, type MemberAssignment, type Assignment, type ISerializer } from './assigner-protocol';
export { ProducerEvents, ConsumerEvents, AdminEvents, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './events';
export type { RetryOptions } from './options';
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSMetadataNotLoaded,
  KafkaJSTopicMetadataNotLoaded,
  KafkaJSNotImplemented,
  KafkaJSTimeout,
  KafkaJSAggregateError,
  KafkaJSDeleteGroupsError,
} from './errors';
