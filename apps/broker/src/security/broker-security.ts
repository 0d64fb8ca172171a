/**
 * BrokerSecurity: the broker's ConnectionSecurity, built from its settings and stores: SASL
 * mechanisms (SCRAM-SHA-256/512 from the CredentialStore, OAUTHBEARER through JwtVerifier), the
 * TLS principal, rate limiting of failed authentications, the Authorizer with the per-API table
 * (api-resources.ts), and quotas. Without settings it asks nothing: no authentication, everything
 * allowed (the topic manager still refuses writes to internal `__` topics), no quotas.
 */
import { readFileSync } from 'node:fs';
import { ERRORS, StrataError, apiByKey, scramMechanism, type ApiDefinition, type ApiName } from '@strata/protocol';
import type { SecuritySettings } from '../config/broker-config';
import type { BrokerMetrics } from '../metrics';
import type { Clock } from '../util/clock';
import type { Logger } from 'pino';
import type { AclOperation, ResourceType } from './acl';
import type { AclStore } from './acl-store';
import { DENIED_ERROR, accessOf, type AccessCheck, type TopicLookup } from './api-resources';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { Authorizer } from './authorizer';
import type { ConnectionSecurity, PeerInfo, SaslSession } from './connection-security';
import type { CredentialStore } from './credential-store';
import { JwtVerifier } from './jwt-verifier';
import { OAuthBearerSession } from './oauth-bearer';
import { QuotaManager, type QuotaOverride } from './quotas';
import { ScramServerSession } from './scram-server';

export const ANONYMOUS = 'User:ANONYMOUS';

export interface BrokerSecurityOptions {
  settings: SecuritySettings;
  credentials: CredentialStore;
  acls: AclStore;
  topics: TopicLookup;
  metrics: BrokerMetrics;
  clock: Clock;
  logger: Logger;
}

/** Reads and checks quota.overrides.file. */
export function readQuotaOverrides(path: string): QuotaOverride[] {
  if (!path) return [];
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${path} must hold a JSON array of quota overrides`);
  return data.map((o: unknown, i) => {
    const known = ['user', 'clientId', 'producerByteRate', 'consumerByteRate', 'requestRate'];
    if (typeof o !== 'object' || o === null) throw new Error(`${path}[${i}] is not an object`);
    for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`${path}[${i}]: unknown field "${k}" (known: ${known.join(', ')})`);
    const r = o as Record<string, unknown>;
    for (const k of known.slice(2)) if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isInteger(r[k]) || (r[k] as number) < 0)) throw new Error(`${path}[${i}].${k} must be a non-negative integer`);
    if (r['user'] === undefined && r['clientId'] === undefined) throw new Error(`${path}[${i}] names neither a user nor a clientId`);
    return r as QuotaOverride;
  });
}

export class BrokerSecurity implements ConnectionSecurity {
  readonly saslMechanisms: readonly string[];
  readonly authorizer: Authorizer;
  private readonly limiter: AuthFailureLimiter;
  private readonly quotas: QuotaManager;
  private readonly jwt: JwtVerifier | null;

  constructor(private readonly o: BrokerSecurityOptions) {
    const s = o.settings;
    this.saslMechanisms = s.saslMechanisms;
    this.authorizer = new Authorizer({ enabled: s.authorizerEnable, superUsers: new Set(s.superUsers), acls: o.acls });
    this.limiter = new AuthFailureLimiter(s.authFailureMaxAttempts, s.authFailureWindowMs, o.clock);
    this.quotas = new QuotaManager(
      { producerByteRate: s.producerByteRate, consumerByteRate: s.consumerByteRate, requestRate: s.requestRate },
      readQuotaOverrides(s.quotaOverridesFile),
      o.clock,
    );
    this.jwt = s.saslMechanisms.includes('OAUTHBEARER')
      ? new JwtVerifier({
          publicKeyFile: s.oauthPublicKeyFile || undefined,
          jwksFile: s.oauthJwksFile || undefined,
          issuer: s.oauthIssuer || undefined,
          audience: s.oauthAudience || undefined,
          principalClaim: s.oauthPrincipalClaim,
          clock: o.clock,
        })
      : null;
  }

  initialPrincipal(peer: PeerInfo): string {
    return peer.tlsPrincipal ?? ANONYMOUS;
  }

  saslRequired(): boolean {
    return this.saslMechanisms.length > 0;
  }

  startSasl(mechanism: string, peer: PeerInfo): SaslSession {
    const name = mechanism.toUpperCase();
    if (!this.saslMechanisms.includes(name)) {
      throw new StrataError(
        ERRORS.UNSUPPORTED_SASL_MECHANISM,
        `mechanism "${mechanism}" is not enabled on this broker; enabled: ${this.saslMechanisms.join(', ') || 'none'}`,
      );
    }
    this.checkNotBlocked(peer.host);
    const onUser = (user: string) => this.checkNotBlocked(peer.host, user);
    if (name === 'OAUTHBEARER') return new OAuthBearerSession(this.jwt!, this.o.clock, onUser);
    const scram = scramMechanism(name)!; // enabled mechanisms are validated by the settings
    return new ScramServerSession({
      mechanism: scram,
      lookup: (user) => this.o.credentials.get(user, scram.name),
      sessionLifetimeMs: this.o.settings.maxReauthMs,
      onUser: (user) => {
        this.lastUser.set(peer, user);
        onUser(user);
      },
    });
  }

  /** The user a peer last named, for rate limiting its failures by user too. */
  private readonly lastUser = new WeakMap<PeerInfo, string>();

  private checkNotBlocked(host: string, user?: string): void {
    const wait = this.limiter.blockedFor(host, user);
    if (wait > 0) {
      this.o.metrics.authentications.inc({ mechanism: 'any', result: 'rate-limited' });
      throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, `too many failed authentications${user ? ` for "${user}"` : ''} from ${host}; try again in ${Math.ceil(wait / 1000)} s`);
    }
  }

  authenticationFailed(peer: PeerInfo, mechanism: string, error: StrataError): void {
    const user = this.lastUser.get(peer);
    this.o.metrics.authentications.inc({ mechanism, result: 'failed' });
    this.o.metrics.connectionsClosed.inc({ reason: 'authentication' });
    this.limiter.record(peer.host, user);
    this.o.logger.info({ host: peer.host, user, mechanism, code: error.code, reason: error.message }, 'authentication failed');
  }

  authorizeRequest(principal: string, host: string, api: ApiDefinition, request: unknown): StrataError | null {
    const name = apiByKey(api.key)?.name as ApiName | undefined;
    if (!name) return new StrataError(ERRORS.UNKNOWN_API_KEY, `API key ${api.key} has no access rule`);
    for (const check of accessOf(name).checks(request as never, this.o.topics)) {
      if (this.passes(principal, host, check)) continue;
      const what = check.name === null ? `any ${check.type.toLowerCase()}` : check.type === 'CLUSTER' ? 'the cluster' : `${check.type.toLowerCase()} "${check.name}"`;
      return new StrataError(DENIED_ERROR[check.type], `${principal} may not ${check.operation} ${what} (${api.name})`);
    }
    return null;
  }

  private passes(principal: string, host: string, check: AccessCheck): boolean {
    const a = this.authorizer;
    const ok =
      check.name === null
        ? a.allowedOnAny(principal, host, check.operation, check.type)
        : a.allowed(principal, host, check.operation, check.type, check.name) ||
          (check.orCluster === true && a.allowed(principal, host, check.operation, 'CLUSTER', 'strata-cluster'));
    return ok || (check.orElse !== undefined && this.passes(principal, host, check.orElse));
  }

  isAllowed(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, name: string): boolean {
    return this.authorizer.allowed(principal, host, operation, resourceType, name);
  }

  throttleMs(principal: string, clientId: string | null, api: ApiDefinition, requestBytes: number, responseBytes: number): number {
    if (this.quotas.inactive) return 0;
    const user = principal.startsWith('User:') ? principal.slice(5) : principal;
    const client = clientId ?? '';
    let ms = this.quotas.record('requestRate', user, client, 1);
    if (api.name === 'Produce') ms = Math.max(ms, this.quotas.record('producerByteRate', user, client, requestBytes));
    if (api.name === 'Fetch') ms = Math.max(ms, this.quotas.record('consumerByteRate', user, client, responseBytes));
    return ms;
  }
}
