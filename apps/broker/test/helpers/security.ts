/**
 * Security helpers for broker tests: users written to a data folder's credential store before the
 * broker starts, SCRAM and OAUTHBEARER logins over a WireClient, and signed JWTs.
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { ScramClient, deriveScramCredential, scramMechanism, type ScramMechanismName } from '@strata/protocol';
import { LocalCredentialStore } from '../../src/security/credential-store';
import type { WireClient } from './wire-client';

export async function addUser(dataDir: string, user: string, password: string, mechanisms: ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']): Promise<void> {
  const store = new LocalCredentialStore(dataDir);
  await store.load();
  for (const m of mechanisms) await store.upsert(user, await deriveScramCredential(scramMechanism(m)!, password, 4096));
}

/** SaslHandshake + SCRAM; resolves with the last SaslAuthenticate response, rejects with the broker's error. */
export async function scramLogin(client: WireClient, mechanism: ScramMechanismName, user: string, password: string) {
  const hs = await client.request('SaslHandshake', { mechanism });
  if (hs.errorCode !== 0) return { errorCode: hs.errorCode, errorMessage: hs.errorMessage, sessionLifetimeMs: 0 };
  const scram = new ScramClient(scramMechanism(mechanism)!, user, password);
  const first = await client.request('SaslAuthenticate', { authBytes: scram.firstMessage() });
  if (first.errorCode !== 0) return first;
  const last = await client.request('SaslAuthenticate', { authBytes: await scram.finalMessage(first.authBytes) });
  if (last.errorCode === 0) scram.verifyServerFinal(last.authBytes);
  return last;
}

export async function bearerLogin(client: WireClient, token: string) {
  const hs = await client.request('SaslHandshake', { mechanism: 'OAUTHBEARER' });
  if (hs.errorCode !== 0) return { errorCode: hs.errorCode, errorMessage: hs.errorMessage, sessionLifetimeMs: 0 };
  return client.request('SaslAuthenticate', { authBytes: new TextEncoder().encode(`n,,\x01auth=Bearer ${token}\x01\x01`) });
}

export function ecKeys(): { privateKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

export function jwt(privateKey: KeyObject, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'ES256', typ: 'JWT', ...header })}.${enc(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
