/** Options of `strata.consumer()`. */
import { z } from 'zod';
import type { CompressionCodec } from '../codecs/compression-codec';
import { mergeRetry, retrySchema } from '../config/client-options';
import { bool, int, oneOf } from '../config/schema';
import { validateOptions } from '../config/validate';
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
   * @default 1048576 (1 MiB)
   */
  maxBytesPerPartition?: number;
  /**
   * Fetching pauses while this many fetched bytes wait to be processed: back-pressure from a slow
   * handler or iterator loop to the broker.
   * @default 8388608 (8 MiB)
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
}

export const CONSUMER_DEFAULTS = Object.freeze({
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 50 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  autoOffsetReset: 'latest' as OffsetResetStrategy,
  checkCrcs: true,
  allowAutoTopicCreation: false,
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
}

const codecSchema = z.custom<CompressionCodec>(
  (v) => typeof v === 'object' && v !== null && typeof (v as CompressionCodec).decompress === 'function' && Number.isInteger((v as CompressionCodec).id),
  { error: 'expected a codec { id, name, compress(), decompress() }' },
);

const consumerSchema = z.strictObject({
  maxWaitMs: int(0).optional(),
  minBytes: int(0).optional(),
  maxBytes: int(1).optional(),
  maxBytesPerPartition: int(1).optional(),
  maxBufferedBytes: int(1).optional(),
  autoOffsetReset: oneOf(['earliest', 'latest', 'none'] as const).optional(),
  checkCrcs: bool().optional(),
  codecs: z.array(codecSchema, { error: 'expected an array of codecs' }).optional(),
  allowAutoTopicCreation: bool().optional(),
  retry: retrySchema.optional(),
});

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
  };
}
