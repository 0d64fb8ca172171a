/**
 * The one error table shared by broker and client.
 *
 * Codes follow Apache Kafka's numbering where Kafka has the same error, so that people who know
 * Kafka recognise them; Strata-only errors live at 1000 and above. `retriable` says whether the
 * same request may succeed if sent again unchanged (after a backoff, a metadata refresh or a
 * reconnect). Unknown codes are never retriable.
 *
 * Every entry is documented in docs/errors.md; a test keeps the two in step.
 */

export interface ErrorDefinition {
  /** Stable upper-case name, used as `error.code` in both SDK and broker. */
  readonly name: string;
  /** Number carried on the wire. */
  readonly code: number;
  readonly retriable: boolean;
  /** Default human-readable description. */
  readonly message: string;
}

function def(name: string, code: number, retriable: boolean, message: string): ErrorDefinition {
  return Object.freeze({ name, code, retriable, message });
}

export const ERRORS = {
  UNKNOWN_SERVER_ERROR: def('UNKNOWN_SERVER_ERROR', -1, false, 'The broker hit an unexpected error while handling the request.'),
  NONE: def('NONE', 0, false, 'No error.'),
  OFFSET_OUT_OF_RANGE: def('OFFSET_OUT_OF_RANGE', 1, false, 'The requested offset is outside the range of offsets held by the partition.'),
  CORRUPT_MESSAGE: def('CORRUPT_MESSAGE', 2, true, 'A record batch failed its CRC-32C check or is malformed.'),
  UNKNOWN_TOPIC_OR_PARTITION: def('UNKNOWN_TOPIC_OR_PARTITION', 3, false, 'The topic or partition does not exist on this broker.'),
  INVALID_FETCH_SIZE: def('INVALID_FETCH_SIZE', 4, false, 'The requested fetch size is invalid.'),
  LEADER_NOT_AVAILABLE: def('LEADER_NOT_AVAILABLE', 5, true, 'The partition has no leader right now.'),
  NOT_LEADER_OR_FOLLOWER: def('NOT_LEADER_OR_FOLLOWER', 6, true, 'This broker is not the leader of the partition.'),
  REQUEST_TIMED_OUT: def('REQUEST_TIMED_OUT', 7, true, 'The request timed out.'),
  MESSAGE_TOO_LARGE: def('MESSAGE_TOO_LARGE', 10, false, 'The record batch or frame is larger than the maximum the broker accepts.'),
  NETWORK_EXCEPTION: def('NETWORK_EXCEPTION', 13, true, 'The connection closed before a response was received.'),
  COORDINATOR_LOAD_IN_PROGRESS: def('COORDINATOR_LOAD_IN_PROGRESS', 14, true, 'The coordinator is loading its state and cannot serve the request yet.'),
  COORDINATOR_NOT_AVAILABLE: def('COORDINATOR_NOT_AVAILABLE', 15, true, 'The group coordinator is not available.'),
  NOT_COORDINATOR: def('NOT_COORDINATOR', 16, true, 'This broker is not the coordinator of the group.'),
  INVALID_TOPIC_EXCEPTION: def('INVALID_TOPIC_EXCEPTION', 17, false, 'The topic name is invalid: use 1 to 249 characters from [a-zA-Z0-9._-], not "." or "..".'),
  RECORD_LIST_TOO_LARGE: def('RECORD_LIST_TOO_LARGE', 18, false, 'The records for one partition are larger than the maximum batch size.'),
  NOT_ENOUGH_REPLICAS: def('NOT_ENOUGH_REPLICAS', 19, true, 'Not enough in-sync replicas to accept the write.'),
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: def('NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20, true, 'The write was appended, but the in-sync replicas shrank below min.insync.replicas before it was replicated.'),
  INVALID_REQUIRED_ACKS: def('INVALID_REQUIRED_ACKS', 21, false, 'acks must be 0, 1 or -1 (all).'),
  ILLEGAL_GENERATION: def('ILLEGAL_GENERATION', 22, false, 'The member belongs to an older generation of the group (it was fenced).'),
  INCONSISTENT_GROUP_PROTOCOL: def('INCONSISTENT_GROUP_PROTOCOL', 23, false, 'The member uses a protocol the group does not support.'),
  INVALID_GROUP_ID: def('INVALID_GROUP_ID', 24, false, 'The group id is empty or invalid.'),
  UNKNOWN_MEMBER_ID: def('UNKNOWN_MEMBER_ID', 25, false, 'The coordinator does not know this member.'),
  INVALID_SESSION_TIMEOUT: def('INVALID_SESSION_TIMEOUT', 26, false, 'The session timeout is outside the range the broker allows.'),
  REBALANCE_IN_PROGRESS: def('REBALANCE_IN_PROGRESS', 27, true, 'The group is rebalancing.'),
  INVALID_COMMIT_OFFSET_SIZE: def('INVALID_COMMIT_OFFSET_SIZE', 28, false, 'The committed offset metadata is too large.'),
  TOPIC_AUTHORIZATION_FAILED: def('TOPIC_AUTHORIZATION_FAILED', 29, false, 'The principal is not authorized to access the topic.'),
  GROUP_AUTHORIZATION_FAILED: def('GROUP_AUTHORIZATION_FAILED', 30, false, 'The principal is not authorized to access the group.'),
  CLUSTER_AUTHORIZATION_FAILED: def('CLUSTER_AUTHORIZATION_FAILED', 31, false, 'The principal is not authorized for this cluster operation.'),
  UNSUPPORTED_SASL_MECHANISM: def('UNSUPPORTED_SASL_MECHANISM', 33, false, 'The broker does not support the requested authentication mechanism.'),
  ILLEGAL_SASL_STATE: def('ILLEGAL_SASL_STATE', 34, false, 'The request is not valid in the connection\'s authentication state.'),
  UNSUPPORTED_VERSION: def('UNSUPPORTED_VERSION', 35, false, 'The broker does not support this API or API version.'),
  TOPIC_ALREADY_EXISTS: def('TOPIC_ALREADY_EXISTS', 36, false, 'A topic with this name already exists.'),
  INVALID_PARTITIONS: def('INVALID_PARTITIONS', 37, false, 'The number of partitions is invalid.'),
  INVALID_REPLICATION_FACTOR: def('INVALID_REPLICATION_FACTOR', 38, false, 'The replication factor is invalid for this cluster.'),
  INVALID_CONFIG: def('INVALID_CONFIG', 40, false, 'A configuration value is invalid.'),
  NOT_CONTROLLER: def('NOT_CONTROLLER', 41, true, 'This broker is not the controller of the cluster.'),
  INVALID_REQUEST: def('INVALID_REQUEST', 42, false, 'The request is malformed or violates the protocol.'),
  OUT_OF_ORDER_SEQUENCE_NUMBER: def('OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false, 'The broker received an out-of-order sequence number from the idempotent producer.'),
  DUPLICATE_SEQUENCE_NUMBER: def('DUPLICATE_SEQUENCE_NUMBER', 46, false, 'The broker already has a batch with this sequence number.'),
  INVALID_PRODUCER_EPOCH: def('INVALID_PRODUCER_EPOCH', 47, false, 'The producer has been fenced by a newer producer with the same id.'),
  KAFKA_STORAGE_ERROR: def('KAFKA_STORAGE_ERROR', 56, true, 'The broker could not read or write the log (disk error or disk full).'),
  SASL_AUTHENTICATION_FAILED: def('SASL_AUTHENTICATION_FAILED', 58, false, 'Authentication failed: wrong credentials, an expired or invalid token, or too many failed attempts.'),
  UNKNOWN_PRODUCER_ID: def('UNKNOWN_PRODUCER_ID', 59, false, 'The broker has no state for this producer id.'),
  FENCED_LEADER_EPOCH: def('FENCED_LEADER_EPOCH', 74, true, 'The leader epoch in the request is older than the broker\'s: the client\'s metadata is stale.'),
  UNKNOWN_LEADER_EPOCH: def('UNKNOWN_LEADER_EPOCH', 75, true, 'The leader epoch in the request is newer than the broker\'s: the broker has not caught up with the latest leader election yet.'),
  PREFERRED_LEADER_NOT_AVAILABLE: def('PREFERRED_LEADER_NOT_AVAILABLE', 80, true, 'The preferred leader of the partition is not in the in-sync replicas.'),
  ELECTION_NOT_NEEDED: def('ELECTION_NOT_NEEDED', 84, false, 'The partition already has its preferred leader.'),
  GROUP_ID_NOT_FOUND: def('GROUP_ID_NOT_FOUND', 69, false, 'The group does not exist.'),
  NON_EMPTY_GROUP: def('NON_EMPTY_GROUP', 68, false, 'The group still has members.'),
  GROUP_MAX_SIZE_REACHED: def('GROUP_MAX_SIZE_REACHED', 81, false, 'The group already has as many members as group.max.size allows.'),
  RESOURCE_NOT_FOUND: def('RESOURCE_NOT_FOUND', 91, false, 'The named resource (a user, a credential) does not exist.'),
  UNACCEPTABLE_CREDENTIAL: def('UNACCEPTABLE_CREDENTIAL', 93, false, 'The credential is not acceptable (unknown mechanism, too few iterations, missing keys).'),
  FENCED_INSTANCE_ID: def('FENCED_INSTANCE_ID', 82, false, 'Another member with the same static group instance id has taken its place.'),
  INVALID_RECORD: def('INVALID_RECORD', 87, false, 'A record in the batch is invalid.'),
  UNRELEASED_INSTANCE_ID: def('UNRELEASED_INSTANCE_ID', 111, false, 'The static member id is still in use by another member.'),
  FENCED_MEMBER_EPOCH: def('FENCED_MEMBER_EPOCH', 110, false, 'The member epoch is stale; the member must rejoin.'),
  UNSUPPORTED_ASSIGNOR: def('UNSUPPORTED_ASSIGNOR', 112, false, 'The broker has no assignor by the requested name.'),
  STALE_MEMBER_EPOCH: def('STALE_MEMBER_EPOCH', 113, false, 'The member epoch is older than the member\'s current epoch: retry with the epoch from the latest heartbeat response.'),
  UNKNOWN_API_KEY: def('UNKNOWN_API_KEY', 1000, false, 'The frame names an API key that does not exist.'),
  HANDSHAKE_REQUIRED: def('HANDSHAKE_REQUIRED', 1001, false, 'The first request on a connection must be ApiVersions.'),
  FRAME_TOO_LARGE: def('FRAME_TOO_LARGE', 1002, false, 'The frame is larger than the maximum frame size.'),
  MALFORMED_FRAME: def('MALFORMED_FRAME', 1003, false, 'The frame is truncated or its header is malformed.'),
  BROKER_SHUTTING_DOWN: def('BROKER_SHUTTING_DOWN', 1004, true, 'The broker is shutting down and no longer accepts requests.'),
  // Raised by the SDK itself and never carried on the wire; numbered from 9000 so they cannot clash
  // with broker codes.
  CLIENT_CLOSED: def('CLIENT_CLOSED', 9001, false, 'The client is not connected: call connect() first, or it was disconnected.'),
  INVALID_ARGUMENT: def('INVALID_ARGUMENT', 9002, false, 'An argument passed to the SDK is invalid.'),
  UNSUPPORTED_COMPRESSION_TYPE: def('UNSUPPORTED_COMPRESSION_TYPE', 9003, false, 'The record batch uses a compression codec this client cannot encode or decode.'),
  BUFFER_EXHAUSTED: def('BUFFER_EXHAUSTED', 9004, true, 'The producer buffer stayed full for maxBlockMs: send() gave up waiting for memory.'),
  DELIVERY_TIMEOUT: def('DELIVERY_TIMEOUT', 9005, true, 'The records were not acknowledged within deliveryTimeoutMs (they may or may not have been written).'),
} as const;

export type ErrorName = keyof typeof ERRORS;

/** Error names by wire code, for the error table itself. */
const BY_CODE = new Map<number, ErrorDefinition>(Object.values(ERRORS).map((e) => [e.code, e]));

/** Wire code of each error name: `ErrorCode.OFFSET_OUT_OF_RANGE === 1`. */
export const ErrorCode: { readonly [K in ErrorName]: (typeof ERRORS)[K]['code'] } = Object.freeze(
  Object.fromEntries(Object.entries(ERRORS).map(([k, v]) => [k, v.code])),
) as { readonly [K in ErrorName]: (typeof ERRORS)[K]['code'] }; // fromEntries loses the key/value pairing; the table above is the source of truth

/** The definition of a wire code. An unknown code yields a non-retriable definition naming the number. */
export function errorDefinition(code: number): ErrorDefinition {
  return BY_CODE.get(code) ?? def(`UNKNOWN_ERROR_${code}`, code, false, `Unknown error code ${code}.`);
}

export function allErrors(): readonly ErrorDefinition[] {
  return [...BY_CODE.values()];
}

/**
 * Base class of every error Strata raises on purpose, in the SDK and in the broker.
 * `code` is the error's name in the table (`'OFFSET_OUT_OF_RANGE'`), `errorCode` its wire number.
 */
export class StrataError extends Error {
  readonly code: string;
  readonly errorCode: number;
  readonly retriable: boolean;

  constructor(definition: ErrorDefinition, message?: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message && message.length > 0 ? message : definition.message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'StrataError';
    this.code = definition.name;
    this.errorCode = definition.code;
    this.retriable = options?.retriable ?? definition.retriable;
  }
}

/**
 * Raised when bytes from the other end (or from disk) break the protocol: truncated or oversize
 * frames, bad lengths, bad varints, failed CRCs. Carries the byte position where decoding stopped.
 */
export class StrataProtocolError extends StrataError {
  readonly position: number | undefined;

  constructor(definition: ErrorDefinition, message: string, position?: number) {
    super(definition, position === undefined ? message : `${message} (at byte ${position})`);
    this.name = 'StrataProtocolError';
    this.position = position;
  }
}

/** A StrataError for a wire code, with the broker's message when it sent one. */
export function errorFromCode(code: number, message?: string | null): StrataError {
  return new StrataError(errorDefinition(code), message ?? undefined);
}
