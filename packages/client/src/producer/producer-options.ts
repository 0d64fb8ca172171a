/** Options of `strata.producer()`. */
import { z } from 'zod';
import { mergeRetry, retrySchema } from '../config/client-options';
import { bool, fn, int, oneOf } from '../config/schema';
import { validateOptions } from '../config/validate';
import type { RetryOptions } from '../retry';
import type { PartitionerFn, PartitionerName } from './partitioners/partitioner';
import type { Acks } from './producer-types';

export interface ProducerOptions {
  /**
   * 'default': murmur2 of the key (Kafka-compatible), sticky for messages without a key;
   * 'round-robin': murmur2 of the key, round-robin without one; or your own function.
   * @default 'default'
   */
  partitioner?: PartitionerName | PartitionerFn;
  /**
   * Acknowledgements required before send() resolves.
   * @default -1
   */
  acks?: Acks;
  /**
   * How long the broker may wait for acknowledgement, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Ask the broker to create a missing topic on first use (only if the broker allows it).
   * @default true
   */
  allowAutoTopicCreation?: boolean;
  /**
   * Most Produce requests awaiting a response per broker connection. `null`: the client's setting.
   * @default null
   */
  maxInFlightRequests?: number | null;
  /** Retries of failed sends; unset fields take the client's `retry` values. */
  retry?: Partial<RetryOptions>;
}

export const PRODUCER_DEFAULTS = Object.freeze({
  partitioner: 'default' as PartitionerName,
  acks: -1 as Acks,
  timeoutMs: 30_000,
  allowAutoTopicCreation: true,
  maxInFlightRequests: null as number | null,
});

export interface ResolvedProducerOptions {
  partitioner: PartitionerName | PartitionerFn;
  acks: -1 | 0 | 1;
  timeoutMs: number;
  allowAutoTopicCreation: boolean;
  maxInFlightRequests: number | null;
  retry: Readonly<RetryOptions>;
}

export const acksSchema = z.union([oneOf([-1, 0, 1] as const), z.literal('all')], { error: 'expected -1, 0, 1 or "all"' });

const producerSchema = z.strictObject({
  partitioner: z.union([oneOf(['default', 'round-robin'] as const), fn<PartitionerFn>()], {
    error: 'expected "default", "round-robin" or a function ({ topic, partitionCount, message }) => number',
  }).optional(),
  acks: acksSchema.optional(),
  timeoutMs: int(0).optional(),
  allowAutoTopicCreation: bool().optional(),
  maxInFlightRequests: int(1).nullable().optional(),
  retry: retrySchema.optional(),
});

export function normalizeAcks(acks: Acks): -1 | 0 | 1 {
  return acks === 'all' ? -1 : acks;
}

export function resolveProducerOptions(input: ProducerOptions | undefined, clientRetry: Readonly<RetryOptions>): ResolvedProducerOptions {
  const o = validateOptions(producerSchema, input ?? {}, 'producer');
  return {
    partitioner: o.partitioner ?? PRODUCER_DEFAULTS.partitioner,
    acks: normalizeAcks(o.acks ?? PRODUCER_DEFAULTS.acks),
    timeoutMs: o.timeoutMs ?? PRODUCER_DEFAULTS.timeoutMs,
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? PRODUCER_DEFAULTS.allowAutoTopicCreation,
    maxInFlightRequests: o.maxInFlightRequests ?? PRODUCER_DEFAULTS.maxInFlightRequests,
    retry: mergeRetry(clientRetry, o.retry, 'producer'),
  };
}
