/**
 * What every component (admin, producer, consumer) of one Strata instance shares: the validated
 * client options, the transport, the clock and the logger. Components do not share connections:
 * each gets its own Cluster, so a consumer's parked long-poll fetch never delays a producer.
 */
import { systemClock, type Clock } from './clock';
import type { CompressionCodec } from './codecs/compression-codec';
import type { BytesView } from './consumer/bytes-view';
import { Cluster } from './cluster/cluster';
import type { ResolvedClientOptions } from './config/client-options';
import type { Logger } from './logger';
import type { ConnectionEvents, EventSink } from './network/connection-events';
import { Retrier, type RetryOptions } from './retry';
import type { Transport } from './transport/transport';
import { CLIENT_SOFTWARE_NAME, CLIENT_VERSION } from './version';

export interface ClientContext<B extends Uint8Array = Uint8Array> {
  readonly options: ResolvedClientOptions;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Codecs the platform offers beyond CompressionStream gzip (the Node entry: zlib gzip, snappy). */
  readonly platformCodecs: readonly CompressionCodec[];
  /** Makes received keys, values and header values (Buffer views in Node, Uint8Array views in browsers). */
  readonly bytesView: BytesView<B>;
}

export function createContext<B extends Uint8Array>(
  options: ResolvedClientOptions,
  transport: Transport,
  platformCodecs: readonly CompressionCodec[],
  bytesView: BytesView<B>,
): ClientContext<B> {
  return { options, transport, clock: options.clock ?? systemClock, logger: options.logger, platformCodecs, bytesView };
}

export interface ClusterFor {
  events: EventSink<ConnectionEvents>;
  retry: Readonly<RetryOptions>;
  allowAutoTopicCreation: boolean;
  maxInFlightRequests?: number | null;
}

/** A Cluster with its own connections, for one component. */
export function createCluster(ctx: ClientContext<Uint8Array>, component: ClusterFor): Cluster {
  const o = ctx.options;
  return new Cluster({
    brokers: o.brokers,
    retrier: new Retrier(component.retry, ctx.clock),
    metadataMaxAgeMs: o.metadataMaxAgeMs,
    allowAutoTopicCreation: component.allowAutoTopicCreation,
    clock: ctx.clock,
    logger: ctx.logger,
    connection: {
      transport: ctx.transport,
      clientId: o.clientId,
      clock: ctx.clock,
      logger: ctx.logger,
      events: component.events,
      requestTimeoutMs: o.requestTimeoutMs,
      connectionTimeoutMs: o.connectionTimeoutMs,
      maxInFlightRequests: component.maxInFlightRequests === undefined ? o.maxInFlightRequests : component.maxInFlightRequests,
      maxIncomingFrameBytes: o.maxFrameBytes,
      ...(o.sasl ? { sasl: o.sasl } : {}),
      ...(o.tls ? { tls: o.tls } : {}),
      softwareName: CLIENT_SOFTWARE_NAME,
      softwareVersion: CLIENT_VERSION,
    },
  });
}
