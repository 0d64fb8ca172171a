/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677): the message formats both ends share, the
 * client's side of the exchange, and the derivation of the stored key and server key that the broker
 * keeps instead of passwords. Used by the SDK, the CLI and (later) brokers connecting to brokers.
 *
 * Runs in Node 20 and browsers: WebCrypto (`globalThis.crypto.subtle`) for PBKDF2, HMAC and hashes;
 * no node:crypto. All crypto functions are async.
 *
 * Exchange (channel binding is not used: gs2 header "n,,"):
 *   client-first  n,,n=<user>,r=<client nonce>
 *   server-first  r=<client nonce + server nonce>,s=<base64 salt>,i=<iterations>
 *   client-final  c=biws,r=<nonce>,p=<base64 ClientProof>
 *   server-final  v=<base64 ServerSignature>   (or e=<error>)
 * SaltedPassword = PBKDF2(password, salt, iterations); ClientKey = HMAC(SaltedPassword, "Client Key");
 * StoredKey = H(ClientKey); ServerKey = HMAC(SaltedPassword, "Server Key");
 * ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage); ServerSignature = HMAC(ServerKey, AuthMessage).
 * As in Kafka, the password is used as UTF-8 without SASLprep.
 */
import { ERRORS, StrataError } from './errors';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramMechanism {
  readonly name: ScramMechanismName;
  readonly hash: 'SHA-256' | 'SHA-512';
  /** Output size of the hash in bytes. */
  readonly keyBytes: number;
  /** Fewest PBKDF2 iterations accepted (RFC 7677: 4096). */
  readonly minIterations: number;
}

export const SCRAM_MECHANISMS: Readonly<Record<ScramMechanismName, ScramMechanism>> = Object.freeze({
  'SCRAM-SHA-256': Object.freeze({ name: 'SCRAM-SHA-256', hash: 'SHA-256', keyBytes: 32, minIterations: 4096 }),
  'SCRAM-SHA-512': Object.freeze({ name: 'SCRAM-SHA-512', hash: 'SHA-512', keyBytes: 64, minIterations: 4096 }),
});

/** Iterations used when none is given (Kafka's default is 4096; more is slower to brute-force). */
export const DEFAULT_SCRAM_ITERATIONS = 8192;

/** The mechanism of a name (case-insensitive), or undefined. */
export function scramMechanism(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS[name.toUpperCase() as ScramMechanismName];
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new StrataError(ERRORS.UNSUPPORTED_SASL_MECHANISM, 'SCRAM needs WebCrypto (globalThis.crypto.subtle): Node 20+ or a browser in a secure context');
  return s;
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Random bytes from the platform's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** A printable nonce (base64 of 24 random bytes: no ',' in it). */
export function scramNonce(): string {
  return toBase64(randomBytes(24));
}

/** RFC 5802 saslname: ',' and '=' escaped. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function unescapeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'invalid username encoding in the SCRAM message');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits "a=1,b=2" into attributes; throws SASL_AUTHENTICATION_FAILED on anything malformed. */
export function parseScramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const m = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (!m) throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, `malformed SCRAM message attribute "${part.slice(0, 20)}"`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

export function decodeScramMessage(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'the SCRAM message is not valid UTF-8');
  }
}

export function encodeScramMessage(text: string): Uint8Array {
  return utf8.encode(text);
}

/** A copy backed by a plain ArrayBuffer, as WebCrypto's types ask (inputs here are small). */
function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

async function hmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', own(key), { name: 'HMAC', hash: mechanism.hash }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, own(data)));
}

async function hash(mechanism: ScramMechanism, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest(mechanism.hash, own(data)));
}

export async function saltedPassword(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', own(utf8.encode(password)), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle().deriveBits({ name: 'PBKDF2', hash: mechanism.hash, salt: own(salt), iterations }, key, mechanism.keyBytes * 8);
  return new Uint8Array(bits);
}

/** What the broker stores for a user and mechanism: never the password. */
export interface ScramCredential {
  mechanism: ScramMechanismName;
  iterations: number;
  salt: Uint8Array;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}

/** Derives a credential from a password (a random salt unless one is given). */
export async function deriveScramCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Uint8Array = randomBytes(32),
): Promise<ScramCredential> {
  if (iterations < mechanism.minIterations) {
    throw new StrataError(ERRORS.UNACCEPTABLE_CREDENTIAL, `${mechanism.name} needs at least ${mechanism.minIterations} iterations, got ${iterations}`);
  }
  const salted = await saltedPassword(mechanism, password, salt, iterations);
  const clientKey = await hmac(mechanism, salted, utf8.encode('Client Key'));
  return {
    mechanism: mechanism.name,
    iterations,
    salt,
    storedKey: await hash(mechanism, clientKey),
    serverKey: await hmac(mechanism, salted, utf8.encode('Server Key')),
  };
}

/** The client's side of one SCRAM exchange. */
export class ScramClient {
  private clientFirstBare = '';
  private expectedServerSignature: Uint8Array | null = null;

  /** `clientNonce` is random unless given (RFC test vectors). */
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
    private readonly clientNonce: string = scramNonce(),
  ) {}

  firstMessage(): Uint8Array {
    this.clientFirstBare = `n=${escapeSaslName(this.username)},r=${this.clientNonce}`;
    return utf8.encode(`n,,${this.clientFirstBare}`);
  }

  /** Answers the server-first message with the client-final message (the proof). */
  async finalMessage(serverFirstBytes: Uint8Array): Promise<Uint8Array> {
    const serverFirst = decodeScramMessage(serverFirstBytes);
    const attrs = parseScramAttributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce || !nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'the server\'s SCRAM nonce does not extend ours');
    }
    if (!salt || !Number.isInteger(iterations) || iterations < this.mechanism.minIterations) {
      throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, `the server sent an unacceptable salt or iteration count (${String(attrs.get('i'))})`);
    }
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = utf8.encode(`${this.clientFirstBare},${serverFirst},${withoutProof}`);
    const salted = await saltedPassword(this.mechanism, this.password, fromBase64(salt), iterations);
    const clientKey = await hmac(this.mechanism, salted, utf8.encode('Client Key'));
    const storedKey = await hash(this.mechanism, clientKey);
    const signature = await hmac(this.mechanism, storedKey, authMessage);
    const proof = clientKey.map((b, i) => b ^ signature[i]!);
    const serverKey = await hmac(this.mechanism, salted, utf8.encode('Server Key'));
    this.expectedServerSignature = await hmac(this.mechanism, serverKey, authMessage);
    return utf8.encode(`${withoutProof},p=${toBase64(proof)}`);
  }

  /** Checks the server-final message: the server proves it knows the credential too. */
  verifyServerFinal(serverFinalBytes: Uint8Array): void {
    const attrs = parseScramAttributes(decodeScramMessage(serverFinalBytes));
    const error = attrs.get('e');
    if (error !== undefined) throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, `authentication failed: ${error}`);
    const v = attrs.get('v');
    const expected = this.expectedServerSignature;
    if (!v || !expected || toBase64(expected) !== v) {
      throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'the server\'s SCRAM signature is wrong: it does not know this user\'s credential');
    }
  }
}
