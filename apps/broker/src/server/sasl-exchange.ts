/**
 * SaslExchange: the authentication state of one connection. After ApiVersions, a broker with SASL
 * mechanisms expects SaslHandshake (the mechanism) and then SaslAuthenticate steps until the
 * mechanism succeeds; only then are other requests served. On a ready connection the same two
 * requests re-authenticate (KIP-368): the principal must stay the same, and the session's expiry
 * moves. A session that expired without re-authentication fails the connection's next request.
 *
 * Any failure answers the request with its error code (UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE,
 * SASL_AUTHENTICATION_FAILED and a message), counts it in strata_authentications_total, and the
 * connection closes. Single-threaded; steps are synchronous.
 */
import { Apis, ERRORS, StrataError, type ApiDefinition, type SaslAuthenticateRequest, type SaslHandshakeRequest } from '@strata/protocol';
import type { BrokerMetrics } from '../metrics';
import type { ConnectionSecurity, PeerInfo, SaslSession } from '../security/connection-security';
import type { Clock } from '../util/clock';

export interface SaslOutcome {
  response: object;
  /** Error name for metrics ('NONE' on success). */
  errorName: string;
  close: boolean;
  authenticated: boolean;
}

export class SaslExchange {
  private current: string;
  private session: SaslSession | null = null;
  private lastMechanism = '';
  private expiresAt = 0;
  private authenticatedOnce = false;
  readonly required: boolean;

  constructor(
    private readonly security: ConnectionSecurity,
    private readonly peer: PeerInfo,
    private readonly metrics: BrokerMetrics,
    private readonly clock: Clock,
  ) {
    this.current = security.initialPrincipal(peer);
    this.required = security.saslRequired(peer);
  }

  static isSaslApi(api: ApiDefinition): boolean {
    return api.key === Apis.SaslHandshake.key || api.key === Apis.SaslAuthenticate.key;
  }

  /** APIs allowed before authentication. */
  static isHandshakeApi(api: ApiDefinition): boolean {
    return api.key === Apis.ApiVersions.key || SaslExchange.isSaslApi(api);
  }

  get principal(): string {
    return this.current;
  }

  get mechanism(): string {
    return this.lastMechanism;
  }

  /** True when the session had a lifetime and it is over. */
  expired(): boolean {
    return this.expiresAt > 0 && this.clock.now() >= this.expiresAt;
  }

  handle(api: ApiDefinition, body: unknown, ready: boolean): SaslOutcome {
    try {
      if (api.key === Apis.SaslHandshake.key) return this.handshake(body as SaslHandshakeRequest, ready); // decoded with the API's own codec
      return this.authenticate(body as SaslAuthenticateRequest, ready);
    } catch (e) {
      const error = e instanceof StrataError ? e : new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'authentication failed');
      this.session = null;
      this.security.authenticationFailed(this.peer, this.lastMechanism || 'none', error);
      const base = { errorCode: error.errorCode, errorMessage: error.message };
      const response = api.key === Apis.SaslHandshake.key ? { ...base, mechanisms: [...this.security.saslMechanisms] } : base;
      return { response, errorName: error.code, close: true, authenticated: false };
    }
  }

  private handshake(req: SaslHandshakeRequest, ready: boolean): SaslOutcome {
    if (this.session) throw new StrataError(ERRORS.ILLEGAL_SASL_STATE, 'a SASL exchange is already in progress on this connection');
    if (ready && !this.authenticatedOnce) throw new StrataError(ERRORS.ILLEGAL_SASL_STATE, 'this connection did not authenticate with SASL, so it cannot re-authenticate');
    this.lastMechanism = req.mechanism;
    this.session = this.security.startSasl(req.mechanism, this.peer);
    return { response: { errorCode: 0, errorMessage: '', mechanisms: [...this.security.saslMechanisms] }, errorName: 'NONE', close: false, authenticated: false };
  }

  private authenticate(req: SaslAuthenticateRequest, ready: boolean): SaslOutcome {
    const session = this.session;
    if (!session) throw new StrataError(ERRORS.ILLEGAL_SASL_STATE, 'SaslAuthenticate must follow SaslHandshake');
    const step = session.step(req.authBytes);
    if (step.principal === undefined) {
      return { response: { errorCode: 0, errorMessage: '', authBytes: step.response, sessionLifetimeMs: 0 }, errorName: 'NONE', close: false, authenticated: false };
    }
    if (ready && step.principal !== this.current) {
      throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, `re-authentication must keep the principal (${this.current}), not switch to ${step.principal}`);
    }
    this.session = null;
    this.current = step.principal;
    this.authenticatedOnce = true;
    const lifetime = step.sessionLifetimeMs ?? 0;
    this.expiresAt = lifetime > 0 ? this.clock.now() + lifetime : 0;
    this.metrics.authentications.inc({ mechanism: session.mechanism, result: 'ok' });
    return {
      response: { errorCode: 0, errorMessage: '', authBytes: step.response, sessionLifetimeMs: lifetime },
      errorName: 'NONE',
      close: false,
      authenticated: true,
    };
  }
}
