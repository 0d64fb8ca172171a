/** Options of `strata.producer()`: one typed interface, one DEFAULTS object, validated once. */
import type { CompressionCodec, CompressionName } from '../codecs/compression-codec';
import { mergeRetry, retrySchema } from '../config/client-options';
import { INT32_MAX, arrayOf, bool, custom, fn, int, oneOf, strictObject, union } from '../config/schema';
import { validateOptions } from '../config/validate';
import { StrataConfigError } from '../errors';
import type { RetryOptions } from '../retry';
import type { PartitionerFn, PartitionerName } from './partitioners/partitioner';
import type { Acks } from './producer-types';

export interface ProducerOptions {
  /**
   * 'default': murmur2 of the key (Kafka-compatible), sticky for messages without a key (they fill
   * a batch on one partition, then move on); 'round-robin': murmur2 of the key, round-robin
   * without one; or your own function `({ topic, partitionCount, message }) => number`.
   * @default 'default'
   */
  partitioner?: PartitionerName | PartitionerFn;
  /**
   * Acknowledgements required before send() resolves: 0 (none), 1 (written by the leader), -1 or
   * 'all' (durable: fsynced when the broker runs with durability=fsync).
   * @default -1
   */
  acks?: Acks;
  /**
   * How long the broker may wait for acknowledgement (fsync), in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Ask the broker to create a missing topic on first use (only if the broker allows it).
   * @default true
   */
  allowAutoTopicCreation?: boolean;
  /**
   * Idempotence: the broker numbers-checks each partition's batches so that retries never write a
   * record twice and never reorder. Needs acks 1 or -1 (acks=0 batches are sent without it) and
   * maxInFlightRequests <= 5.
   * @default true
   */
  idempotent?: boolean;
  /**
   * Produce requests awaiting a response per broker connection; at most 5 with idempotence.
   * Without idempotence a partition has one batch in flight at a time, so that retries never
   * reorder it.
   * @default 5
   */
  maxInFlightRequests?: number;
  /**
   * 0: adaptive batching — a batch goes at once when nothing is outstanding to its broker, and
   * while requests are outstanding, records accumulate until one returns (or the batch is full), so
   * a lone send() waits for no timer and load makes batches large. > 0: a batch that is not full
   * waits until it is this old, in milliseconds (Kafka's linger).
   * @default 0
   */
  lingerMs?: number;
  /**
   * Largest record batch of a partition in bytes (uncompressed): a batch starts small and grows
   * with load up to it; a larger single record gets a batch of its own. Capped by the topic's
   * max.message.bytes. Defaults to 1 MiB, or bufferMemory when smaller.
   * @default 1048576
   */
  batchSize?: number;
  /**
   * Bytes of record batches the producer holds (waiting and in flight). When full, send() waits.
   * @default 33554432 (32 MiB)
   */
  bufferMemory?: number;
  /**
   * How long send() may wait for buffer memory (and topic metadata) before rejecting with
   * BUFFER_EXHAUSTED, in milliseconds.
   * @default 60000
   */
  maxBlockMs?: number;
  /**
   * Upper bound on the time from send() to success or failure, retries included, in milliseconds;
   * past it records fail with DELIVERY_TIMEOUT. At least lingerMs + timeoutMs.
   * @default 120000
   */
  deliveryTimeoutMs?: number;
  /**
   * Compression of record batches: 'none', 'gzip', 'snappy' (Node; in browsers only with a codec
   * passed in `codecs`), or 'lz4' / 'zstd' with a codec passed in `codecs`.
   * @default 'none'
   */
  compression?: CompressionName;
  /** Extra codecs `{ id, name, compress, decompress }`, e.g. a pure-JS snappy for browsers. */
  codecs?: readonly CompressionCodec[];
  /**
   * Largest Produce request in bytes: ready batches for one broker go out together up to this size
   * (a request always carries at least one batch).
   * @default 1048576
   */
  maxRequestBytes?: number;
  /**
   * Backoff between retries; unset fields take the client's `retry` values, except `retries`, which
   * defaults to unlimited for the producer: deliveryTimeoutMs bounds retries (as in Kafka).
   */
  retry?: Partial<RetryOptions>;
}

export const PRODUCER_DEFAULTS = Object.freeze({
  partitioner: 'default' as PartitionerName,
  acks: -1 as Acks,
  timeoutMs: 30_000,
  allowAutoTopicCreation: true,
  idempotent: true,
  maxInFlightRequests: 5,
  lingerMs: 0,
  batchSize: 1_048_576,
  bufferMemory: 32 * 1024 * 1024,
  maxBlockMs: 60_000,
  deliveryTimeoutMs: 120_000,
  compression: 'none' as CompressionName,
  maxRequestBytes: 1_048_576,
  retries: INT32_MAX,
});

/** The most in-flight requests idempotence allows: the broker remembers the last 5 batches. */
export const MAX_IDEMPOTENT_IN_FLIGHT = 5;

export interface ResolvedProducerOptions {
  partitioner: PartitionerName | PartitionerFn;
  acks: -1 | 0 | 1;
  timeoutMs: number;
  allowAutoTopicCreation: boolean;
  idempotent: boolean;
  maxInFlightRequests: number;
  lingerMs: number;
  batchSize: number;
  bufferMemory: number;
  maxBlockMs: number;
  deliveryTimeoutMs: number;
  compression: CompressionName;
  codecs: readonly CompressionCodec[];
  maxRequestBytes: number;
  retry: Readonly<RetryOptions>;
}

export const acksSchema = union([oneOf([-1, 0, 1] as const), oneOf(['all'] as const)], 'expected -1, 0, 1 or "all"');

const codecSchema = custom<CompressionCodec>(
  'a codec { id, name, compress(), decompress() }',
  (v) => typeof v === 'object' && v !== null && typeof (v as CompressionCodec).compress === 'function' && Number.isInteger((v as CompressionCodec).id),
);

const producerSchema = strictObject({
  partitioner: union(
    [oneOf(['default', 'round-robin'] as const), fn<PartitionerFn>()],
    'expected "default", "round-robin" or a function ({ topic, partitionCount, message }) => number',
  ).optional(),
  acks: acksSchema.optional(),
  timeoutMs: int(0).optional(),
  allowAutoTopicCreation: bool().optional(),
  idempotent: bool().optional(),
  maxInFlightRequests: int(1).optional(),
  lingerMs: int(0).optional(),
  batchSize: int(1).optional(),
  bufferMemory: int(1024).optional(),
  maxBlockMs: int(0).optional(),
  deliveryTimeoutMs: int(1).optional(),
  compression: oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).optional(),
  codecs: arrayOf(codecSchema, 'expected an array of codecs').optional(),
  maxRequestBytes: int(1024).optional(),
  retry: retrySchema.optional(),
});

export function normalizeAcks(acks: Acks): -1 | 0 | 1 {
  return acks === 'all' ? -1 : acks;
}

export function resolveProducerOptions(input: ProducerOptions | undefined, clientRetry: Readonly<RetryOptions>): ResolvedProducerOptions {
  const o = validateOptions(producerSchema, input ?? {}, 'producer');
  const d = PRODUCER_DEFAULTS;
  const acks = normalizeAcks(o.acks ?? d.acks);
  const resolved: ResolvedProducerOptions = {
    partitioner: o.partitioner ?? d.partitioner,
    acks,
    timeoutMs: o.timeoutMs ?? d.timeoutMs,
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? d.allowAutoTopicCreation,
    // Like Kafka: idempotence on by default, off by default with acks=0 (nothing is acknowledged).
    idempotent: o.idempotent ?? (acks !== 0 && d.idempotent),
    maxInFlightRequests: o.maxInFlightRequests ?? d.maxInFlightRequests,
    lingerMs: o.lingerMs ?? d.lingerMs,
    batchSize: o.batchSize ?? Math.min(d.batchSize, o.bufferMemory ?? d.bufferMemory),
    bufferMemory: o.bufferMemory ?? d.bufferMemory,
    maxBlockMs: o.maxBlockMs ?? d.maxBlockMs,
    deliveryTimeoutMs: o.deliveryTimeoutMs ?? d.deliveryTimeoutMs,
    compression: o.compression ?? d.compression,
    codecs: o.codecs ?? [],
    maxRequestBytes: o.maxRequestBytes ?? d.maxRequestBytes,
    retry: mergeRetry({ ...clientRetry, retries: d.retries }, o.retry, 'producer'),
  };
  if (resolved.idempotent && resolved.maxInFlightRequests > MAX_IDEMPOTENT_IN_FLIGHT) {
    throw new StrataConfigError(
      'maxInFlightRequests',
      `invalid producer option "maxInFlightRequests": at most ${MAX_IDEMPOTENT_IN_FLIGHT} with idempotence (the broker remembers the last 5 batches of a partition), got ${resolved.maxInFlightRequests}; set idempotent: false to allow more`,
    );
  }
  if (resolved.idempotent && acks === 0) {
    throw new StrataConfigError('idempotent', 'invalid producer option "idempotent": idempotence needs acks 1 or -1 (with acks=0 nothing is acknowledged), got acks 0');
  }
  if (resolved.batchSize > resolved.bufferMemory) {
    throw new StrataConfigError('batchSize', `invalid producer option "batchSize": expected at most bufferMemory (${resolved.bufferMemory}), got ${resolved.batchSize}`);
  }
  if (resolved.deliveryTimeoutMs < resolved.lingerMs + resolved.timeoutMs) {
    throw new StrataConfigError(
      'deliveryTimeoutMs',
      `invalid producer option "deliveryTimeoutMs": expected at least lingerMs + timeoutMs (${resolved.lingerMs + resolved.timeoutMs}), got ${resolved.deliveryTimeoutMs}`,
    );
  }
  return resolved;
}
