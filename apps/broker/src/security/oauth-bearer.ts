/**
 * The broker's side of OAUTHBEARER (RFC 7628) as Kafka uses it: one SaslAuthenticate step carrying
 * `n,,\x01auth=Bearer <JWT>\x01\x01`. The token is verified by JwtVerifier; the session lasts until
 * the token expires, and the client re-authenticates with a fresh token before then.
 */
import { ERRORS, StrataError } from '@strata/protocol';
import type { Clock } from '../util/clock';
import type { SaslSession, SaslStep } from './connection-security';
import type { JwtVerifier } from './jwt-verifier';

export class OAuthBearerSession implements SaslSession {
  readonly mechanism = 'OAUTHBEARER';
  private used = false;

  constructor(
    private readonly verifier: JwtVerifier,
    private readonly clock: Clock,
    private readonly onUser: (user: string) => void,
  ) {}

  step(clientBytes: Uint8Array): SaslStep {
    if (this.used) throw new StrataError(ERRORS.ILLEGAL_SASL_STATE, 'the OAUTHBEARER exchange is already complete');
    this.used = true;
    const text = Buffer.from(clientBytes).toString('utf8');
    // gs2 header, then key=value pairs each ended by \x01, then a final \x01.
    const SEP = String.fromCharCode(1);
    const parts = text.split(SEP);
    const wellFormed = /^[ny],/.test(parts[0] ?? '') && parts.length >= 3 && parts[parts.length - 1] === '' && parts[parts.length - 2] === '';
    const auth = wellFormed ? parts.slice(1, -2).find((kv) => kv.startsWith('auth=')) : undefined;
    const token = auth ? /^auth=Bearer +(\S+)$/i.exec(auth)?.[1] : undefined;
    if (!token) throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'malformed OAUTHBEARER message: expected "n,,\\x01auth=Bearer <token>\\x01\\x01"');
    const verified = this.verifier.verify(token);
    this.onUser(verified.subject);
    return { response: new Uint8Array(0), principal: `User:${verified.subject}`, sessionLifetimeMs: Math.max(1, verified.expiresAt - this.clock.now()) };
  }
}
