/** Error helpers of the producer's sender. */
import { ERRORS, StrataError } from '@strata/protocol';
import { toError } from '../errors';

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
