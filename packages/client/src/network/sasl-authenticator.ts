/**
 * The client's side of SASL on one connection: SaslHandshake with the chosen mechanism, then the
 * mechanism's SaslAuthenticate steps (SCRAM-SHA-256/512 from @strata/protocol's ScramClient, or
 * OAUTHBEARER with a token from the user's provider). Used right after ApiVersions, and again on
 * the open connection before the session ends (re-authentication, KIP-368).
 *
 * Failures are non-retriable StrataErrors (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM):
 * retrying the same credentials cannot succeed.
 */
import { ERRORS, ScramClient, StrataError, errorFromCode, scramMechanism, type ApiName, type RequestInitOf, type ResponseOf } from '@strata/protocol';

/** SASL options of the client (as KafkaJS's). */
export type SaslOptions =
  | { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'oauthbearer';
      /** Returns a current token (a JWT the broker can verify); called at connect and at every re-authentication. */
      oauthBearerProvider: () => Promise<{ value: string }>;
    };

type Send = <N extends ApiName>(name: N, body: RequestInitOf<N>) => Promise<ResponseOf<N>>;

/** Runs one SASL exchange; resolves with the session lifetime the broker granted (ms, 0: none). */
export async function authenticate(sasl: SaslOptions, offered: readonly string[], url: string, send: Send): Promise<number> {
  const mechanism = sasl.mechanism.toUpperCase();
  if (!offered.includes(mechanism)) {
    throw new StrataError(ERRORS.UNSUPPORTED_SASL_MECHANISM, `the broker at ${url} offers ${offered.join(', ')}, not ${mechanism}`);
  }
  const handshake = await send('SaslHandshake', { mechanism });
  if (handshake.errorCode !== 0) throw errorFromCode(handshake.errorCode, handshake.errorMessage);
  const step = async (bytes: Uint8Array) => {
    const r = await send('SaslAuthenticate', { authBytes: bytes });
    if (r.errorCode !== 0) throw errorFromCode(r.errorCode, r.errorMessage);
    return r;
  };
  if (sasl.mechanism === 'oauthbearer') {
    const token = await sasl.oauthBearerProvider();
    if (!token || typeof token.value !== 'string' || token.value === '') {
      throw new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'oauthBearerProvider returned no token ({ value: "<jwt>" })');
    }
    const r = await step(new TextEncoder().encode(`n,,\x01auth=Bearer ${token.value}\x01\x01`));
    return r.sessionLifetimeMs;
  }
  const client = new ScramClient(scramMechanism(mechanism)!, sasl.username, sasl.password); // both SCRAM names are in the table
  const first = await step(client.firstMessage());
  const last = await step(await client.finalMessage(first.authBytes));
  client.verifyServerFinal(last.authBytes);
  return last.sessionLifetimeMs;
}

/** When to re-authenticate: at 85% of the session (and at least 1 s before its end). */
export function reauthenticateAfterMs(lifetimeMs: number): number {
  return Math.max(0, Math.min(Math.floor(lifetimeMs * 0.85), lifetimeMs - 1000));
}
