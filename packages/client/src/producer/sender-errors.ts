/** Error helpers of the producer's sender, and what it does about a failed batch. */
import { ERRORS, StrataError } from '@strata/protocol';
import { StrataDeliveryTimeoutError, isRetriable, toError } from '../errors';

/** `error` as a StrataError; anything else (a bug) becomes a non-retriable UNKNOWN_SERVER_ERROR. */
export function asStrataError(error: unknown): StrataError {
  if (error instanceof StrataError) return error;
  const e = toError(error);
  return new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, e.message, { cause: e, retriable: false });
}

/** A broker error with the topic-partition in its message (subclasses already say where they come from). */
export function withPartition(error: StrataError, where: { topic: string; partition: number }): StrataError {
  if (error.constructor !== StrataError) return error;
  const prefix = `${where.topic}-${where.partition}`;
  if (error.message.startsWith(prefix)) return error;
  return new StrataError({ name: error.code, code: error.errorCode, retriable: error.retriable, message: error.message }, `${prefix}: ${error.message}`, {
    cause: error,
    retriable: error.retriable,
  });
}

/** What to do with a batch whose attempt failed. */
export type Verdict =
  /** DUPLICATE_SEQUENCE_NUMBER: written before, offsets unknown. */
  | { kind: 'written' }
  /** Refused for its sequence after an earlier failure of ours: resend in order. */
  | { kind: 'resend' }
  /** Refused for its sequence as the partition's oldest batch: the broker's state differs; new epoch. */
  | { kind: 'new-epoch' }
  /** Another producer took the id. */
  | { kind: 'fatal'; error: StrataError }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'fail'; error: StrataError };

export interface FailedAttempt {
  idempotent: boolean;
  /** The batch is its partition's oldest unsettled one. */
  oldest: boolean;
  batch: { topic: string; partition: number; recordCount: number; attempts: number; createdAt: number };
  /** Backoff before the next attempt. */
  delayMs: number;
  retries: number;
  now: number;
  deliveryTimeoutMs: number;
}

/** Kafka's rules for a failed produce attempt (see ProduceSender). */
export function judge(error: StrataError, f: FailedAttempt): Verdict {
  const code = error.errorCode;
  const b = f.batch;
  if (f.idempotent) {
    if (code === ERRORS.DUPLICATE_SEQUENCE_NUMBER.code) return { kind: 'written' };
    if (code === ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER.code || code === ERRORS.UNKNOWN_PRODUCER_ID.code) return { kind: f.oldest ? 'new-epoch' : 'resend' };
    if (code === ERRORS.INVALID_PRODUCER_EPOCH.code) return { kind: 'fatal', error: withPartition(error, b) };
  }
  if (!isRetriable(error)) return { kind: 'fail', error: withPartition(error, b) };
  const retriesLeft = b.attempts <= f.retries;
  if (retriesLeft && f.now + f.delayMs < b.createdAt + f.deliveryTimeoutMs) return { kind: 'retry', delayMs: f.delayMs };
  // Say which bound ended it: the time (deliveryTimeoutMs) or the count (retry.retries).
  const bound = retriesLeft ? `within deliveryTimeoutMs (${f.deliveryTimeoutMs} ms)` : `before retry.retries (${f.retries}) ran out, ${f.now - b.createdAt} ms in,`;
  return {
    kind: 'fail',
    error: new StrataDeliveryTimeoutError(
      `${b.recordCount} record(s) for ${b.topic}-${b.partition} not acknowledged ${bound} after ${b.attempts} attempt(s): ${error.message}`,
      f.deliveryTimeoutMs,
      { cause: error },
    ),
  };
}
