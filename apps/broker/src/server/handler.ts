/**
 * What a request handler sees and returns. One handler per API (handlers/*.ts); the connection
 * decodes the frame, checks the handshake and the version, then calls the handler with the
 * decoded body. A handler returns the response body, NO_RESPONSE (Produce with acks=0), or
 * throws a StrataError to fail the whole request with that code.
 */
import type { Logger } from 'pino';
import type { ApiDefinition, ApiName, PushInit, RequestOf, ResponseInitOf } from '@strata/protocol';
import type { BrokerConfig } from '../config/broker-config';
import type { BrokerMetrics } from '../metrics';
import type { LogManager } from '../storage/log-manager';
import type { ClusterView } from '../cluster/cluster-view';
import type { ReplicaManager } from '../replication/replica-manager';
import type { TopicManager } from '../topics/topic-manager';
import type { AclOperation, ResourceType } from '../security/acl';
import type { Clock } from '../util/clock';
import type { BufferPool } from '../util/buffer-pool';

export const NO_RESPONSE: unique symbol = Symbol('no-response');

export interface RequestContext {
  readonly connectionId: number;
  readonly clientId: string | null;
  /** The client's network address as the broker sees it. */
  readonly clientHost: string;
  /** Authenticated principal ("User:alice"); "User:ANONYMOUS" on a connection that did not authenticate. */
  readonly principal: string;
  readonly apiVersion: number;
  /**
   * True when the principal may perform `operation` on the resource. The connection has already
   * checked what the request names (security/api-resources.ts); handlers of 'filtered' APIs call
   * this to leave out what the principal may not see (Metadata of all topics, ListGroups).
   */
  authorize(operation: AclOperation, resourceType: ResourceType, name: string): boolean;
  /** Calls `fn` when the client's connection closes; returns an unsubscribe. */
  onClose(fn: () => void): () => void;
  /**
   * Calls `fn` once the response has been encoded into its frame (or the request failed): the
   * handler's buffers (a fetch's pooled lease) are no longer referenced then.
   */
  afterResponse(fn: () => void): void;
  /** Sends a push frame on the client's connection now (nothing when it has closed). */
  push(push: PushInit): void;
}

/** Broker-wide state handlers work with. */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly topics: TopicManager;
  /** Partition lookups that check leadership, leader epochs and offline logs in one place. */
  readonly replicas: ReplicaManager;
  /** The cluster: brokers, controller, every topic and partition state; the controller's operations. */
  readonly cluster: ClusterView;
  readonly logs: LogManager;
  readonly metrics: BrokerMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** URL clients should use to reach this broker. */
  advertisedUrl(): string;
  readonly version: string;
  /** Reusable large buffers for fetch reads and response frames. */
  readonly buffers: BufferPool;
}

export type HandlerResult<N extends ApiName> = ResponseInitOf<N> | typeof NO_RESPONSE;

export interface RequestHandler<N extends ApiName = ApiName> {
  readonly api: ApiDefinition;
  handle(ctx: RequestContext, request: RequestOf<N>): HandlerResult<N> | Promise<HandlerResult<N>>;
}

export function handler<N extends ApiName>(
  api: ApiDefinition,
  handle: (ctx: RequestContext, request: RequestOf<N>) => HandlerResult<N> | Promise<HandlerResult<N>>,
): RequestHandler<N> {
  return { api, handle };
}
