/**
 * JwtVerifier: checks bearer tokens (JWS compact serialization, RFC 7515/7519) against a public key
 * or a JWKS file configured on the broker: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA.
 * `none` and HMAC algorithms are refused (a shared secret is not a public key). Required claims:
 * `exp` (in the future, 30 s of clock skew allowed), the principal claim (default `sub`); `nbf`,
 * `iss` and `aud` are checked when present or configured. Keys are read once at construction.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ERRORS, StrataError } from '@strata/protocol';
import type { Clock } from '../util/clock';

const SKEW_MS = 30_000;

const ALGORITHMS: Record<string, { hash: string | null; pss?: number; ecdsa?: boolean }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: 32 },
  PS384: { hash: 'sha384', pss: 48 },
  PS512: { hash: 'sha512', pss: 64 },
  ES256: { hash: 'sha256', ecdsa: true },
  ES384: { hash: 'sha384', ecdsa: true },
  ES512: { hash: 'sha512', ecdsa: true },
  EdDSA: { hash: null },
};

export interface JwtVerifierOptions {
  /** PEM public key file. */
  publicKeyFile?: string;
  /** JSON Web Key Set file ({ "keys": [...] }); keys are chosen by `kid`. */
  jwksFile?: string;
  issuer?: string;
  audience?: string;
  principalClaim: string;
  clock: Clock;
}

export interface VerifiedToken {
  /** The principal claim's value. */
  subject: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

function invalid(reason: string): StrataError {
  return new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, `invalid bearer token: ${reason}`);
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw invalid(`its ${what} is not base64url JSON`);
  }
}

export class JwtVerifier {
  private readonly single: KeyObject | null = null;
  private readonly byKid = new Map<string, KeyObject>();

  constructor(private readonly o: JwtVerifierOptions) {
    if (o.publicKeyFile) this.single = createPublicKey(readFileSync(o.publicKeyFile));
    if (o.jwksFile) {
      const jwks = JSON.parse(readFileSync(o.jwksFile, 'utf8')) as { keys?: Array<Record<string, unknown>> }; // checked below
      if (!Array.isArray(jwks.keys)) throw new Error(`${o.jwksFile} is not a JWKS file (no "keys" array)`);
      for (const jwk of jwks.keys) {
        const key = createPublicKey({ key: jwk as never, format: 'jwk' }); // node validates the JWK
        this.byKid.set(typeof jwk['kid'] === 'string' ? jwk['kid'] : '', key);
      }
    }
    if (!this.single && this.byKid.size === 0) throw new Error('OAUTHBEARER needs sasl.oauthbearer.public.key.file or sasl.oauthbearer.jwks.file');
  }

  verify(token: string): VerifiedToken {
    const parts = token.split('.');
    if (parts.length !== 3) throw invalid('not a signed JWT (three dot-separated parts)');
    const [h, p, s] = parts as [string, string, string];
    const header = decodePart(h, 'header');
    const alg = typeof header['alg'] === 'string' ? header['alg'] : '';
    const spec = ALGORITHMS[alg];
    if (!spec) throw invalid(`algorithm "${alg}" is not accepted`);
    const kid = typeof header['kid'] === 'string' ? header['kid'] : '';
    const key = this.byKid.get(kid) ?? (this.byKid.size === 1 && !kid ? [...this.byKid.values()][0] : undefined) ?? this.single;
    if (!key) throw invalid(`no configured key has kid "${kid}"`);
    const signature = Buffer.from(s, 'base64url');
    let ok = false;
    try {
      ok = verify(
        spec.hash,
        Buffer.from(`${h}.${p}`),
        { key, ...(spec.pss ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pss } : {}), ...(spec.ecdsa ? { dsaEncoding: 'ieee-p1363' as const } : {}) },
        signature,
      );
    } catch {
      ok = false;
    }
    if (!ok) throw invalid('the signature does not verify with the configured key');
    const claims = decodePart(p, 'payload');
    const now = this.o.clock.now();
    const exp = claims['exp'];
    if (typeof exp !== 'number') throw invalid('it has no exp claim');
    if (exp * 1000 + SKEW_MS <= now) throw invalid(`it expired at ${new Date(exp * 1000).toISOString()}`);
    const nbf = claims['nbf'];
    if (typeof nbf === 'number' && nbf * 1000 - SKEW_MS > now) throw invalid('it is not valid yet (nbf)');
    if (this.o.issuer && claims['iss'] !== this.o.issuer) throw invalid(`its issuer is not "${this.o.issuer}"`);
    if (this.o.audience) {
      const aud = claims['aud'];
      const list = Array.isArray(aud) ? aud : [aud];
      if (!list.includes(this.o.audience)) throw invalid(`its audience does not include "${this.o.audience}"`);
    }
    const subject = claims[this.o.principalClaim];
    if (typeof subject !== 'string' || subject === '') throw invalid(`it has no "${this.o.principalClaim}" claim`);
    return { subject, expiresAt: exp * 1000 };
  }
}
