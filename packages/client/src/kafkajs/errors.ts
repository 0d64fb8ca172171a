/**
 * KafkaJS's error classes, with the names, fields and `retriable` flags KafkaJS programs test for
 * (`e.name === 'KafkaJSNumberOfRetriesExceeded'`, `e instanceof KafkaJSProtocolError`, `e.type`,
 * `e.retriable`), and the one mapping from what the Strata SDK throws to them (`kafkaJSError`).
 * The Strata error a KafkaJS error was made from is its `cause`.
 *
 * An option or feature of KafkaJS this compatibility layer cannot honour raises
 * KafkaJSNotImplemented (a feature: transactions, SASL, ACLs...) or KafkaJSNonRetriableError (an
 * option value), both with `option` naming it: never a silent no-op.
 */
import { StrataError } from '@strata/protocol';
import { StrataAggregateError, StrataConfigError, StrataConnectionError, StrataRequestTimeoutError, StrataSendError } from '../errors';

export class KafkaJSError extends Error {
  readonly retriable: boolean;
  readonly helpUrl?: string;
  override readonly cause?: Error;

  constructor(e: Error | string, metadata: { retriable?: boolean; cause?: Error } = {}) {
    super(typeof e === 'string' ? e : e.message, metadata.cause ? { cause: metadata.cause } : undefined);
    this.name = 'KafkaJSError';
    this.retriable = metadata.retriable ?? true;
    if (metadata.cause) this.cause = metadata.cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  /** The option (dotted path) that was refused, when an option was. */
  readonly option?: string;

  constructor(e: Error | string, metadata: { cause?: Error; option?: string } = {}) {
    super(e, { retriable: false, ...(metadata.cause ? { cause: metadata.cause } : {}) });
    this.name = 'KafkaJSNonRetriableError';
    if (metadata.option !== undefined) this.option = metadata.option;
  }
}

/** An error code from the broker: `type` is its name (e.g. 'UNKNOWN_TOPIC_OR_PARTITION'), `code` its number. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly code: number;
  readonly type: string;

  constructor(e: Error | string, metadata: { code: number; type: string; retriable: boolean; cause?: Error }) {
    super(e, metadata);
    this.name = 'KafkaJSProtocolError';
    this.code = metadata.code;
    this.type = metadata.type;
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  readonly topic?: string;
  readonly partition?: number;

  constructor(e: Error | string, metadata: { code: number; type: string; retriable: boolean; cause?: Error; topic?: string; partition?: number }) {
    super(e, metadata);
    this.name = 'KafkaJSOffsetOutOfRange';
    if (metadata.topic !== undefined) this.topic = metadata.topic;
    if (metadata.partition !== undefined) this.partition = metadata.partition;
  }
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number;
  readonly retryTime: number;

  constructor(e: Error | string, metadata: { retryCount?: number; retryTime?: number; cause?: Error } = {}) {
    super(e, metadata.cause ? { cause: metadata.cause } : {});
    this.name = 'KafkaJSNumberOfRetriesExceeded';
    this.retryCount = metadata.retryCount ?? 0;
    this.retryTime = metadata.retryTime ?? 0;
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  /** `host:port` of the broker, when known. */
  readonly broker?: string;

  constructor(e: Error | string, metadata: { broker?: string; cause?: Error; retriable?: boolean } = {}) {
    super(e, metadata);
    this.name = 'KafkaJSConnectionError';
    if (metadata.broker !== undefined) this.broker = metadata.broker;
  }
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker?: string;
  readonly correlationId?: number;

  constructor(e: Error | string, metadata: { broker?: string; correlationId?: number; cause?: Error } = {}) {
    super(e, metadata);
    this.name = 'KafkaJSRequestTimeoutError';
    if (metadata.broker !== undefined) this.broker = metadata.broker;
    if (metadata.correlationId !== undefined) this.correlationId = metadata.correlationId;
  }
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: Error | string = 'metadata not loaded', metadata: { cause?: Error } = {}) {
    super(e, metadata);
    this.name = 'KafkaJSMetadataNotLoaded';
  }
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  readonly topic?: string;

  constructor(e: Error | string, metadata: { topic?: string; cause?: Error } = {}) {
    super(e, metadata);
    this.name = 'KafkaJSTopicMetadataNotLoaded';
    if (metadata.topic !== undefined) this.topic = metadata.topic;
  }
}

/** A feature of KafkaJS that Strata does not have (transactions, SASL, ACLs...); `option` names it. */
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: Error | string, metadata: { option?: string } = {}) {
    super(e, metadata);
    this.name = 'KafkaJSNotImplemented';
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e: Error | string, metadata: { cause?: Error } = {}) {
    super(e, metadata);
    this.name = 'KafkaJSTimeout';
  }
}

export class KafkaJSAggregateError extends Error {
  readonly errors: Array<Error | string>;

  constructor(message: Error | string, errors: Array<Error | string>) {
    super(typeof message === 'string' ? message : message.message);
    this.name = 'KafkaJSAggregateError';
    this.errors = errors;
  }
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  readonly groups: Array<{ groupId: string; errorCode: number; error: KafkaJSError }>;

  constructor(e: Error | string, groups: Array<{ groupId: string; errorCode: number; error: KafkaJSError }> = []) {
    super(e);
    this.name = 'KafkaJSDeleteGroupsError';
    this.groups = groups;
  }
}

/** Refuses an option this layer cannot honour, naming it. */
export function notSupported(option: string, why: string): KafkaJSNotImplemented {
  return new KafkaJSNotImplemented(`"${option}" is not supported by @strata/client/kafkajs: ${why}`, { option });
}

/** An invalid option value, naming the option. */
export function invalidOption(option: string, why: string): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(`invalid option "${option}": ${why}`, { option });
}

function hostPort(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * What a KafkaJS program would have seen for an error of the Strata SDK: connection errors as
 * KafkaJSConnectionError, timeouts as KafkaJSRequestTimeoutError, broker error codes as
 * KafkaJSProtocolError (`type` = the code's name), invalid arguments as KafkaJSNonRetriableError,
 * several errors as KafkaJSAggregateError. KafkaJS errors and non-SDK errors pass unchanged.
 */
export function kafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || error instanceof KafkaJSAggregateError) return error;
  if (!(error instanceof StrataError)) return error instanceof Error ? error : new Error(String(error));
  if (error instanceof StrataConnectionError) {
    const broker = hostPort(error.url);
    return new KafkaJSConnectionError(error.message, { cause: error, retriable: error.retriable, ...(broker ? { broker } : {}) });
  }
  if (error instanceof StrataRequestTimeoutError) {
    return new KafkaJSRequestTimeoutError(error.message, { cause: error, correlationId: error.correlationId });
  }
  if (error instanceof StrataAggregateError) {
    return new KafkaJSAggregateError(error.message, error.errors.map((e) => kafkaJSError(e)));
  }
  if (error instanceof StrataSendError && error.failures.length > 1) {
    return new KafkaJSAggregateError(error.message, error.failures.map((f) => kafkaJSError(f.error)));
  }
  if (error instanceof StrataConfigError) return new KafkaJSNonRetriableError(error.message, { cause: error, option: error.option });
  if (error.code === 'INVALID_ARGUMENT' || error.code === 'CLIENT_CLOSED') return new KafkaJSNonRetriableError(error.message, { cause: error });
  const metadata = { code: error.errorCode, type: error.code, retriable: error.retriable, cause: error };
  if (error.code === 'OFFSET_OUT_OF_RANGE') return new KafkaJSOffsetOutOfRange(error.message, metadata);
  return new KafkaJSProtocolError(error.message, metadata);
}

/** Runs `fn`, turning what it throws into KafkaJS errors. */
export async function asKafkaJS<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw kafkaJSError(error);
  }
}
