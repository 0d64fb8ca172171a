/**
 * How a clustered broker authenticates to the other brokers (docs/security.md#securing-a-cluster):
 * - SCRAM with inter.broker.sasl.username and the password in inter.broker.sasl.password.file
 *   (read once at start-up; first line, trailing newline ignored);
 * - wss:// verified against ssl.ca.file (the system's CAs when empty), this broker's own
 *   certificate offered for mutual TLS; files read at each new connection so reloads apply;
 * - bootstrap: the inter-broker user's credential is created in the cluster's credential store
 *   when the user has none for the mechanism (the first broker of a new secured cluster), never
 *   changed when it exists.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { deriveScramCredential, scramMechanism } from '@strata/protocol';
import type { ClusterSettings, SecuritySettings } from '../config/broker-config';
import { ConfigError } from '../config/settings';
import type { EtcdCredentialStore } from './etcd-credential-store';

export interface InterBrokerCredentials {
  mechanism: string;
  username: string;
  password: string;
}

/** Reads the inter-broker password file; ConfigError naming the setting when it cannot. */
export function readInterBrokerCredentials(cluster: ClusterSettings): InterBrokerCredentials | null {
  const sasl = cluster.interBrokerSasl;
  if (!sasl) return null;
  const problem = (message: string) => new ConfigError([{ key: 'inter.broker.sasl.password.file', value: sasl.passwordFile, source: 'option', message }]);
  let text: string;
  try {
    text = readFileSync(sasl.passwordFile, 'utf8');
  } catch (e) {
    throw problem(`inter.broker.sasl.password.file: cannot read the inter-broker password file ${sasl.passwordFile}: ${(e as Error).message}`);
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw problem(`inter.broker.sasl.password.file: the inter-broker password file ${sasl.passwordFile} is empty`);
  return { mechanism: sasl.mechanism, username: sasl.username, password };
}

/** TLS material of this broker's connections to other brokers, read when a connection opens. */
export function interBrokerTls(s: SecuritySettings): () => { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return () => ({
    ...(s.sslCaFile ? { ca: readFileSync(s.sslCaFile) } : {}),
    ...(s.sslCertFile && s.sslKeyFile ? { cert: readFileSync(s.sslCertFile), key: readFileSync(s.sslKeyFile) } : {}),
  });
}

/** Creates the inter-broker user's credential in etcd unless it has one for the mechanism. */
export async function bootstrapInterBrokerUser(store: EtcdCredentialStore, creds: InterBrokerCredentials, logger: Logger): Promise<void> {
  const mechanism = scramMechanism(creds.mechanism)!; // validated by the settings table
  if (store.get(creds.username, mechanism.name)) return;
  const created = await store.createIfAbsent(creds.username, await deriveScramCredential(mechanism, creds.password));
  if (created) logger.info({ user: creds.username, mechanism: mechanism.name }, 'created the inter-broker user\'s SCRAM credential in etcd (it had none)');
}
