/**
 * Errors the SDK raises. Broker errors are StrataError instances built from the shared table in
 * @strata/protocol (`code` is the table's name, e.g. 'TOPIC_ALREADY_EXISTS'). Errors that only the
 * client can detect (codes 9001 and up in the same table) are subclasses of StrataError too, so `err instanceof StrataError`,
 * `err.code` and `err.retriable` work on everything the SDK throws.
 *
 * Retriability: broker errors follow the table; connection loss and timeouts are retriable;
 * anything that is not a StrataError (a bug, a TypeError from user code) is never retried.
 */
import { ERRORS, StrataError, type ErrorDefinition } from '@strata/protocol';
import type { RecordMetadata } from './producer/producer-types';

export { StrataError, StrataProtocolError, errorFromCode, ERRORS } from '@strata/protocol';

/** The connection to a broker failed, was refused, or closed while the request was in flight. */
export class StrataConnectionError extends StrataError {
  readonly url: string | undefined;

  constructor(message: string, options: { url?: string; cause?: unknown; retriable?: boolean } = {}) {
    super(ERRORS.NETWORK_EXCEPTION, message, { cause: options.cause, retriable: options.retriable ?? true });
    this.name = 'StrataConnectionError';
    this.url = options.url;
  }
}

/** No response arrived within the request timeout. Retriable: the broker may have been slow. */
export class StrataRequestTimeoutError extends StrataError {
  readonly apiName: string;
  readonly correlationId: number;
  readonly timeoutMs: number;

  constructor(apiName: string, correlationId: number, timeoutMs: number, url: string) {
    super(ERRORS.REQUEST_TIMED_OUT, `${apiName} request ${correlationId} to ${url} timed out after ${timeoutMs} ms`);
    this.name = 'StrataRequestTimeoutError';
    this.apiName = apiName;
    this.correlationId = correlationId;
    this.timeoutMs = timeoutMs;
  }
}

/** An option passed to a constructor or factory is invalid. `option` is its dotted path. */
export class StrataConfigError extends StrataError {
  readonly option: string;

  constructor(option: string, message: string) {
    super(ERRORS.INVALID_CONFIG, message);
    this.name = 'StrataConfigError';
    this.option = option;
  }
}

/** The component was used while not connected (before connect() or after disconnect()). */
export class StrataClosedError extends StrataError {
  constructor(message: string) {
    super(ERRORS.CLIENT_CLOSED, message);
    this.name = 'StrataClosedError';
  }
}

/** An argument of an SDK call is invalid (empty message list, negative partition...). */
export class StrataArgumentError extends StrataError {
  constructor(message: string) {
    super(ERRORS.INVALID_ARGUMENT, message);
    this.name = 'StrataArgumentError';
  }
}

/** A message is larger than the largest record batch the topic accepts (`max.message.bytes`). */
export class StrataRecordTooLargeError extends StrataError {
  constructor(
    message: string,
    /** Bytes the record takes in a batch of its own, batch header included. */
    readonly sizeInBytes: number,
    /** The limit it exceeds. */
    readonly maxBytes: number,
  ) {
    super(ERRORS.MESSAGE_TOO_LARGE, message);
    this.name = 'StrataRecordTooLargeError';
  }
}

/** send() waited `maxBlockMs` for room in the producer's buffer (or for topic metadata) and gave up. */
export class StrataBufferExhaustedError extends StrataError {
  constructor(
    message: string,
    readonly maxBlockMs: number,
  ) {
    super(ERRORS.BUFFER_EXHAUSTED, message);
    this.name = 'StrataBufferExhaustedError';
  }
}

/** Records were not acknowledged within `deliveryTimeoutMs`; they may or may not have been written. */
export class StrataDeliveryTimeoutError extends StrataError {
  constructor(
    message: string,
    readonly deliveryTimeoutMs: number,
    options: { cause?: unknown } = {},
  ) {
    super(ERRORS.DELIVERY_TIMEOUT, message, options);
    this.name = 'StrataDeliveryTimeoutError';
  }
}

/**
 * Some messages of one send() failed; the others were delivered. `code` is the first failure's;
 * `results[i]` is where message i was written (undefined for failed ones) and `failures` lists
 * each failed message's index (in input order, across topics for sendBatch) with its error.
 */
export class StrataSendError extends StrataError {
  constructor(
    readonly results: ReadonlyArray<RecordMetadata | undefined>,
    readonly failures: ReadonlyArray<{ index: number; error: StrataError }>,
  ) {
    const first = failures[0];
    if (!first) throw new TypeError('StrataSendError needs at least one failure');
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more failed message${failures.length > 2 ? 's' : ''})` : '';
    super(definitionOf(first.error), `message ${first.index}: ${first.error.message}${more}`, {
      cause: first.error,
      retriable: failures.every((f) => f.error.retriable),
    });
    this.name = 'StrataSendError';
  }
}

/** One failure among several topics or partitions of a request; see `errors` for all of them. */
export class StrataAggregateError extends StrataError {
  readonly errors: readonly StrataError[];

  constructor(errors: readonly StrataError[], summary: string) {
    const first = errors[0];
    if (!first) throw new TypeError('StrataAggregateError needs at least one error');
    super(definitionOf(first), `${summary}: ${errors.map((e) => e.message).join('; ')}`, {
      retriable: errors.every((e) => e.retriable),
    });
    this.name = 'StrataAggregateError';
    this.errors = errors;
  }
}

function definitionOf(error: StrataError): ErrorDefinition {
  return { name: error.code, code: error.errorCode, retriable: error.retriable, message: error.message };
}

/** A StrataError like `error` whose message says which topic (and partition) it concerns. */
export function withContext(error: StrataError, context: string): StrataError {
  return new StrataError(definitionOf(error), `${context}: ${error.message}`, { cause: error.cause, retriable: error.retriable });
}

/** True only for StrataErrors flagged retriable; unknown errors are never retried. */
export function isRetriable(error: unknown): boolean {
  return error instanceof StrataError && error.retriable;
}

/** `error` as an Error (wrapping thrown non-Error values). */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
