/**
 * Everything both entry points (Node and browser) export, apart from the Strata class bound to their
 * default transport.
 */
export { StrataClient, type PlatformDefaults } from './strata';
export { uint8ArrayView, type BytesView } from './consumer/bytes-view';
export type { StrataOptions } from './config/client-options';
export { CLIENT_DEFAULTS } from './config/client-options';

export {
  StrataError,
  StrataProtocolError,
  StrataConnectionError,
  StrataRequestTimeoutError,
  StrataConfigError,
  StrataClosedError,
  StrataArgumentError,
  StrataAggregateError,
  StrataRecordTooLargeError,
  StrataBufferExhaustedError,
  StrataDeliveryTimeoutError,
  StrataSendError,
  ERRORS,
  isRetriable,
} from './errors';

export type { Transport, TransportConnection, TransportConnectOptions, TransportCloseInfo, TlsOptions } from './transport/transport';
export type { SaslOptions } from './network/sasl-authenticator';
export { browserTransport, type WebSocketLike, type WebSocketConstructor } from './transport/browser-transport';

export type { Clock, TimerHandle } from './clock';
export { systemClock } from './clock';
export type { Logger, LogLevel, LogFields } from './logger';
export { consoleLogger, silentLogger } from './logger';
export type { RetryOptions } from './retry';
export { RETRY_DEFAULTS, backoffMs } from './retry';
export type { InstrumentationEvent, EventListener, Unsubscribe } from './instrumentation';
export type { ConnectionEvents } from './network/connection-events';

export { Admin, type AdminEvents } from './admin/admin';
export type { AdminOptions } from './admin/admin-options';
export type * from './admin/admin-types';
export type * from './admin/group-types';
export type { ElectLeadersArgs, ElectionResult, SkipCorruptResult } from './admin/cluster-admin';
export type { Acl, AclFilter, ScramMechanismOption, UserDescription } from './admin/security-admin';

export { Producer, type ProducerEvents, type ProducerMetrics } from './producer/producer';
export { PRODUCER_DEFAULTS, type ProducerOptions } from './producer/producer-options';
export type * from './producer/producer-types';
export type { PartitionerArgs, PartitionerFn, PartitionerName } from './producer/partitioners/partitioner';
export { murmur2, toPositive, partitionForKey } from './producer/partitioners/murmur2';

export { Consumer, type ConsumerEvents, type TopicPartitionsSelection } from './consumer/consumer';
export { CONSUMER_DEFAULTS, type ConsumerOptions, type DeliverySemantics, type GroupAssignorName } from './consumer/consumer-options';
export type { SubscribeArgs } from './consumer/group/group-subscription';
export type { TopicPartitionOffset } from './consumer/group/offset-committer';
export { ConsumerMessage, MessageBatch, type RecordHeader } from './consumer/consumer-message';
export type { EachMessagePayload, EachBatchPayload, RunOptions } from './consumer/runner';
export type { PartitionAssignment, TopicPartition, OffsetResetStrategy } from './consumer/subscription-state';
export type { CompressionCodec, CompressionName } from './codecs/compression-codec';
export { CodecRegistry, platformGzip, COMPRESSION_IDS } from './codecs/compression-codec';

export { CLIENT_VERSION } from './version';
