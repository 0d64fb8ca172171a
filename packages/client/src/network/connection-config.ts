/** Settings of a Connection, and what the broker tells about itself in the handshake. */
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { TlsOptions, Transport } from '../transport/transport';
import type { SaslOptions } from './sasl-authenticator';
import type { Connection } from './connection';
import type { ConnectionEvents, EventSink } from './connection-events';
import type { Push } from '@strata/protocol';

export interface ConnectionConfig {
  url: string;
  transport: Transport;
  clientId: string | null;
  clock: Clock;
  logger: Logger;
  events: EventSink<ConnectionEvents>;
  requestTimeoutMs: number;
  /** Covers opening the socket and the handshake. */
  connectionTimeoutMs: number;
  /** null: no limit. */
  maxInFlightRequests: number | null;
  /** Largest frame accepted from the broker. */
  maxIncomingFrameBytes: number;
  /** SASL credentials, used when the broker asks for authentication. */
  sasl?: SaslOptions;
  /** TLS settings for wss:// (Node transport). */
  tls?: TlsOptions;
  softwareName: string;
  softwareVersion: string;
  /** Told once when the connection closes, for whatever reason. */
  onClose?: (connection: Connection) => void;
  /** Told every push frame the broker sends (unasked messages; see docs/protocol.md). */
  onPush?: (push: Push) => void;
}

export interface RequestOptions {
  /** Overrides the connection's request timeout for this request. */
  timeoutMs?: number;
}

/** What the broker told about itself in the handshake. */
export interface BrokerIdentity {
  brokerId: number;
  clusterId: string;
  brokerVersion: string;
  maxFrameBytes: number;
  maxBatchBytes: number;
}
