/** Options of `strata.consumer()`. */
import type { CompressionCodec } from '../codecs/compression-codec';
import { mergeRetry, retrySchema } from '../config/client-options';
import { arrayOf, bool, custom, int, oneOf, strictObject, text, type Infer } from '../config/schema';
import { validateOptions } from '../config/validate';
import { StrataConfigError } from '../errors';
import type { RetryOptions } from '../retry';
import type { OffsetResetStrategy } from './subscription-state';

export interface ConsumerOptions {
  /**
   * How long the broker may hold a fetch at the end of the log waiting for data, in milliseconds.
   * @default 500
   */
  maxWaitMs?: number;
  /**
   * The broker answers a fetch as soon as it has this many bytes.
   * @default 1
   */
  minBytes?: number;
  /**
   * Most bytes one fetch response may carry.
   * @default 52428800 (50 MiB)
   */
  maxBytes?: number;
  /**
   * Most bytes per partition in one fetch response (a larger first batch still comes whole).
   * One fetch is in flight per broker, so this sets how much a lone partition moves per round
   * trip: 4 MiB reads ~1.3x faster than Kafka's 1 MiB and costs the broker less CPU per byte.
   * @default 4194304 (4 MiB)
   */
  maxBytesPerPartition?: number;
  /**
   * Fetching pauses while this many fetched bytes wait to be processed: back-pressure from a slow
   * handler or iterator loop to the broker.
   * @default 16777216 (16 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Where to start when a partition has no position, and what to do when the position is out of
   * range: 'earliest' (log start), 'latest' (log end), or 'none' (fail with OFFSET_OUT_OF_RANGE).
   * @default 'latest'
   */
  autoOffsetReset?: OffsetResetStrategy;
  /**
   * Verify the CRC-32C of every fetched batch.
   * @default true
   */
  checkCrcs?: boolean;
  /** Decompressors beyond the built-in gzip (lz4, zstd, snappy...). */
  codecs?: readonly CompressionCodec[];
  /**
   * Ask the broker to create topics that do not exist (when the broker allows it).
   * @default false
   */
  allowAutoTopicCreation?: boolean;
  /** Backoff after fetch errors and handler failures; unset fields take the client's `retry` values. */
  retry?: Partial<RetryOptions>;

  // Consumer groups (see docs/sdk.md, "Consumer groups"). Every option below needs `groupId`.

  /**
   * Consume as a member of this consumer group: `subscribe()` to topics and the group's
   * coordinator shares their partitions among the members; processed offsets are committed to the
   * group. Without it the consumer is in assign mode (`assign()`).
   */
  groupId?: string;
  /**
   * Static membership: a stable id for this member (e.g. the pod name). A member that restarts
   * with the same id within its session timeout gets its partitions back without a rebalance; on
   * stop() it leaves only temporarily. Two live consumers must never share one.
   */
  groupInstanceId?: string;
  /**
   * The coordinator removes the member when no heartbeat arrives for this long, in milliseconds
   * (within the broker's group.consumer.min/max.session.timeout.ms).
   * @default 45000
   */
  sessionTimeoutMs?: number;
  /**
   * Longest time a handler (or a loop body) may hold records, and the longest time to give up
   * revoked partitions, before the member is removed from the group, in milliseconds: the group's
   * rebalance timeout. Heartbeats go on in the background while a handler runs, so a slow handler
   * is fine up to this bound.
   * @default 300000
   */
  maxPollIntervalMs?: number;
  /**
   * Assignor the member asks the coordinator to use (the one most members ask for wins).
   * @default the broker's group.default.assignor (sticky)
   */
  assignor?: GroupAssignorName;
  /**
   * Commit processed offsets automatically: every autoCommitInterval ms, every
   * autoCommitThreshold records, when partitions are revoked, and on stop() / disconnect(). Off:
   * call commitOffsets() yourself.
   * @default true
   */
  autoCommit?: boolean;
  /**
   * Milliseconds between automatic commits (when something was processed since the last one).
   * @default 5000
   */
  autoCommitInterval?: number;
  /**
   * Also commit once this many records were processed since the last commit. null: by time only.
   * @default null
   */
  autoCommitThreshold?: number | null;
  /**
   * 'at-least-once': offsets are committed after processing (a crash re-delivers what was
   * processed since the last commit). 'at-most-once': the offsets of fetched records are
   * committed before they are handed out (a crash loses what was not processed yet); needs
   * autoCommit.
   * @default 'at-least-once'
   */
  deliverySemantics?: DeliverySemantics;
}

export type GroupAssignorName = 'sticky' | 'range' | 'round-robin';
export type DeliverySemantics = 'at-least-once' | 'at-most-once';

/** The group settings of a consumer with a groupId. */
export interface ResolvedGroupOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  maxPollIntervalMs: number;
  assignor: GroupAssignorName | null;
  autoCommit: boolean;
  autoCommitInterval: number;
  autoCommitThreshold: number | null;
  deliverySemantics: DeliverySemantics;
}

export const CONSUMER_DEFAULTS = Object.freeze({
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 50 * 1024 * 1024,
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  autoOffsetReset: 'latest' as OffsetResetStrategy,
  checkCrcs: true,
  allowAutoTopicCreation: false,
  sessionTimeoutMs: 45_000,
  maxPollIntervalMs: 300_000,
  autoCommit: true,
  autoCommitInterval: 5_000,
  autoCommitThreshold: null as number | null,
  deliverySemantics: 'at-least-once' as DeliverySemantics,
});

export interface ResolvedConsumerOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  maxBytesPerPartition: number;
  maxBufferedBytes: number;
  autoOffsetReset: OffsetResetStrategy;
  checkCrcs: boolean;
  codecs: readonly CompressionCodec[];
  allowAutoTopicCreation: boolean;
  retry: Readonly<RetryOptions>;
  /** null in assign mode. */
  group: ResolvedGroupOptions | null;
}

const codecSchema = custom<CompressionCodec>(
  'a codec { id, name, compress(), decompress() }',
  (v) => typeof v === 'object' && v !== null && typeof (v as CompressionCodec).decompress === 'function' && Number.isInteger((v as CompressionCodec).id),
);

const consumerSchema = strictObject({
  maxWaitMs: int(0).optional(),
  minBytes: int(0).optional(),
  maxBytes: int(1).optional(),
  maxBytesPerPartition: int(1).optional(),
  maxBufferedBytes: int(1).optional(),
  autoOffsetReset: oneOf(['earliest', 'latest', 'none'] as const).optional(),
  checkCrcs: bool().optional(),
  codecs: arrayOf(codecSchema, 'expected an array of codecs').optional(),
  allowAutoTopicCreation: bool().optional(),
  retry: retrySchema.optional(),
  groupId: text(255).optional(),
  groupInstanceId: text(255).optional(),
  sessionTimeoutMs: int(1).optional(),
  maxPollIntervalMs: int(1).optional(),
  assignor: oneOf(['sticky', 'range', 'round-robin'] as const).optional(),
  autoCommit: bool().optional(),
  autoCommitInterval: int(1).optional(),
  autoCommitThreshold: int(1).nullable().optional(),
  deliverySemantics: oneOf(['at-least-once', 'at-most-once'] as const).optional(),
});

const GROUP_ONLY = ['groupInstanceId', 'sessionTimeoutMs', 'maxPollIntervalMs', 'assignor', 'autoCommit', 'autoCommitInterval', 'autoCommitThreshold', 'deliverySemantics'] as const;

export function resolveConsumerOptions(input: ConsumerOptions | undefined, clientRetry: Readonly<RetryOptions>): ResolvedConsumerOptions {
  const o = validateOptions(consumerSchema, input ?? {}, 'consumer');
  const d = CONSUMER_DEFAULTS;
  return {
    maxWaitMs: o.maxWaitMs ?? d.maxWaitMs,
    minBytes: o.minBytes ?? d.minBytes,
    maxBytes: o.maxBytes ?? d.maxBytes,
    maxBytesPerPartition: o.maxBytesPerPartition ?? d.maxBytesPerPartition,
    maxBufferedBytes: o.maxBufferedBytes ?? d.maxBufferedBytes,
    autoOffsetReset: o.autoOffsetReset ?? d.autoOffsetReset,
    checkCrcs: o.checkCrcs ?? d.checkCrcs,
    codecs: o.codecs ?? [],
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? d.allowAutoTopicCreation,
    retry: mergeRetry(clientRetry, o.retry, 'consumer'),
    group: resolveGroupOptions(o),
  };
}

function resolveGroupOptions(o: Infer<typeof consumerSchema>): ResolvedGroupOptions | null {
  const d = CONSUMER_DEFAULTS;
  if (o.groupId === undefined) {
    const stray = GROUP_ONLY.find((k) => o[k] !== undefined);
    if (stray) throw new StrataConfigError(stray, `invalid consumer option "${stray}": it applies to consumer groups only; set groupId too`);
    return null;
  }
  const autoCommit = o.autoCommit ?? d.autoCommit;
  const deliverySemantics = o.deliverySemantics ?? d.deliverySemantics;
  if (deliverySemantics === 'at-most-once' && !autoCommit) {
    throw new StrataConfigError('deliverySemantics', `invalid consumer option "deliverySemantics": 'at-most-once' commits before processing and needs autoCommit: true`);
  }
  return {
    groupId: o.groupId,
    groupInstanceId: o.groupInstanceId ?? null,
    sessionTimeoutMs: o.sessionTimeoutMs ?? d.sessionTimeoutMs,
    maxPollIntervalMs: o.maxPollIntervalMs ?? d.maxPollIntervalMs,
    assignor: o.assignor ?? null,
    autoCommit,
    autoCommitInterval: o.autoCommitInterval ?? d.autoCommitInterval,
    autoCommitThreshold: o.autoCommitThreshold === undefined ? d.autoCommitThreshold : o.autoCommitThreshold,
    deliverySemantics,
  };
}
