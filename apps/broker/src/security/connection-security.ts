/**
 * What a client connection asks of the security layer, in one interface so that the connection
 * (server/connection.ts) stays free of policy: whether and how a connection must authenticate
 * (SASL mechanisms, the TLS client certificate's principal), whether a request is allowed
 * (the authorizer, through the per-API table in api-resources.ts), and how long to throttle a
 * client that exceeds its quotas.
 *
 * `openSecurity()` (security/broker-security.ts) builds the broker's implementation from its
 * settings; with no settings it requires no authentication, allows everything and throttles
 * nobody.
 */
import type { ApiDefinition, StrataError } from '@strata/protocol';
import type { AclOperation, ResourceType } from './acl';

/** One step of a SASL exchange, as the server answers it. */
export interface SaslStep {
  /** Bytes for the client (the server-first or server-final message). */
  response: Uint8Array;
  /** Set when the exchange succeeded: the authenticated principal ("User:alice"). */
  principal?: string;
  /** With `principal`: how long the session stays valid (0: no limit). */
  sessionLifetimeMs?: number;
}

/** A SASL exchange in progress on one connection. Steps throw StrataError(SASL_AUTHENTICATION_FAILED). */
export interface SaslSession {
  readonly mechanism: string;
  step(clientBytes: Uint8Array): SaslStep;
}

/** Who is connecting, as the transport knows it. */
export interface PeerInfo {
  /** Client address (IPv4 or IPv6, no port). */
  host: string;
  /** Principal from a verified TLS client certificate ("User:<CN>"), if any. */
  tlsPrincipal: string | null;
}

export interface ConnectionSecurity {
  /** SASL mechanisms the broker offers (ApiVersions.auth_mechanisms). Empty: no SASL. */
  readonly saslMechanisms: readonly string[];
  /** The principal a connection has before (or without) SASL: its TLS principal or ANONYMOUS. */
  initialPrincipal(peer: PeerInfo): string;
  /** True when the connection must complete SASL before any request other than the handshake ones. */
  saslRequired(peer: PeerInfo): boolean;
  /** Starts a SASL exchange; throws UNSUPPORTED_SASL_MECHANISM (or SASL_AUTHENTICATION_FAILED when rate-limited). */
  startSasl(mechanism: string, peer: PeerInfo): SaslSession;
  /** Records a failed authentication (metrics, rate limiting). */
  authenticationFailed(peer: PeerInfo, mechanism: string, error: StrataError): void;
  /**
   * Checks every resource the request touches (api-resources.ts); returns the error to answer
   * with, or null when the principal may make the request.
   */
  authorizeRequest(principal: string, host: string, api: ApiDefinition, request: unknown): StrataError | null;
  /** One check, for handlers that filter what they return (RequestContext.authorize). */
  isAllowed(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, name: string): boolean;
  /**
   * Records a handled request against the client's quotas and returns how long the client must
   * now wait (ms, 0 when within its quotas).
   */
  throttleMs(principal: string, clientId: string | null, api: ApiDefinition, requestBytes: number, responseBytes: number): number;
}
