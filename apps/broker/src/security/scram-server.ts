/**
 * The broker's side of a SCRAM-SHA-256/512 exchange (RFC 5802/7677), two SaslAuthenticate steps:
 * client-first → server-first (salt, iterations, combined nonce), client-final (proof) →
 * server-final (the server's signature). The proof is checked against the stored key with a
 * timing-safe comparison. An unknown user gets a made-up but stable salt and fails at the proof
 * step exactly like a wrong password, so the exchange does not tell which users exist.
 * node:crypto, synchronous (a few HMACs per exchange). One session per exchange; not reusable.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ERRORS,
  StrataError,
  decodeScramMessage,
  encodeScramMessage,
  parseScramAttributes,
  scramNonce,
  toBase64,
  fromBase64,
  unescapeSaslName,
  type ScramCredential,
  type ScramMechanism,
} from '@strata/protocol';
import type { SaslSession, SaslStep } from './connection-security';

/** Per-process secret for the made-up salts of unknown users. */
const FAKE_SALT_SECRET = randomBytes(32);

export interface ScramServerOptions {
  mechanism: ScramMechanism;
  lookup(user: string): ScramCredential | undefined;
  /** Session lifetime reported on success (0: none). */
  sessionLifetimeMs: number;
  /** Called with the user name as soon as the client names it (rate limiting). */
  onUser(user: string): void;
}

function fail(reason: string): StrataError {
  return new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, reason);
}

export class ScramServerSession implements SaslSession {
  private stage: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | null = null;
  private fake = false;
  private nonce = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';

  constructor(private readonly o: ScramServerOptions) {}

  get mechanism(): string {
    return this.o.mechanism.name;
  }

  step(clientBytes: Uint8Array): SaslStep {
    const message = decodeScramMessage(clientBytes);
    if (this.stage === 'first') return this.first(message);
    if (this.stage === 'final') return this.final(message);
    throw new StrataError(ERRORS.ILLEGAL_SASL_STATE, 'the SCRAM exchange is already complete');
  }

  private first(message: string): SaslStep {
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!m) throw fail(message.startsWith('p=') ? 'channel binding is not supported' : 'malformed SCRAM client-first message');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = parseScramAttributes(this.clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || user === '' || !clientNonce) throw fail('the SCRAM client-first message needs a user name and a nonce');
    this.user = unescapeSaslName(user);
    if (m[2] && unescapeSaslName(m[2].slice(2)) !== this.user) throw fail('an authorization identity different from the user name is not supported');
    this.o.onUser(this.user);
    const mechanism = this.o.mechanism;
    const found = this.o.lookup(this.user);
    if (found) this.credential = found;
    else {
      this.fake = true;
      const salt = createHmac('sha256', FAKE_SALT_SECRET).update(`${mechanism.name}:${this.user}`).digest().subarray(0, 32);
      this.credential = { mechanism: mechanism.name, iterations: 8192, salt, storedKey: randomBytes(mechanism.keyBytes), serverKey: randomBytes(mechanism.keyBytes) };
    }
    this.nonce = clientNonce + scramNonce();
    this.serverFirst = `r=${this.nonce},s=${toBase64(this.credential.salt)},i=${this.credential.iterations}`;
    this.stage = 'final';
    return { response: encodeScramMessage(this.serverFirst) };
  }

  private final(message: string): SaslStep {
    this.stage = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw fail('the SCRAM client-final message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = parseScramAttributes(message);
    if (attrs.get('c') !== toBase64(encodeScramMessage(this.gs2Header))) throw fail('SCRAM channel binding data does not match the client-first message');
    if (attrs.get('r') !== this.nonce) throw fail('the SCRAM nonce does not match');
    const credential = this.credential!;
    const algorithm = this.o.mechanism.hash === 'SHA-256' ? 'sha256' : 'sha512';
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    let proof: Uint8Array;
    try {
      proof = fromBase64(attrs.get('p') ?? '');
    } catch {
      throw fail('the SCRAM proof is not base64');
    }
    const signature = createHmac(algorithm, credential.storedKey).update(authMessage).digest();
    // The same work whether the user exists or not (timing-safe, and no early return).
    const clientKey = Buffer.alloc(signature.length);
    for (let i = 0; i < clientKey.length; i++) clientKey[i] = (proof[i] ?? 0) ^ signature[i]!;
    const matches = timingSafeEqual(createHash(algorithm).update(clientKey).digest(), Buffer.from(credential.storedKey));
    const ok = matches && proof.length === signature.length && !this.fake;
    if (!ok) throw fail(`authentication of "${this.user}" with ${this.o.mechanism.name} failed: wrong user name or password`);
    const serverSignature = createHmac(algorithm, credential.serverKey).update(authMessage).digest();
    return {
      response: encodeScramMessage(`v=${toBase64(serverSignature)}`),
      principal: `User:${this.user}`,
      sessionLifetimeMs: this.o.sessionLifetimeMs,
    };
  }
}
