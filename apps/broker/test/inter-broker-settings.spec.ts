/**
 * The inter-broker authentication settings (inter.broker.sasl.*) are checked at start-up with
 * errors that name the setting: username and password file together, a mechanism the brokers
 * accept, a readable non-empty password file (read before anything connects to etcd).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, resolveBrokerConfig, startBroker } from '../src';
import { readInterBrokerCredentials } from '../src/security/inter-broker';
import { tempDir } from './helpers/tmp';

describe('inter-broker authentication settings', () => {
  const { dir, cleanup } = tempDir('strata-inter-broker-');
  afterAll(cleanup);

  it('defaults to no inter-broker authentication', () => {
    expect(resolveBrokerConfig({ options: {} }).cluster.interBrokerSasl).toBeNull();
  });

  it('reads the password from its file (first line), never from the configuration', () => {
    const file = join(dir, 'password');
    writeFileSync(file, 'the-secret\nignored\n');
    const config = resolveBrokerConfig({ options: { 'inter.broker.sasl.username': 'broker', 'inter.broker.sasl.password.file': file, 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512' } });
    expect(config.cluster.interBrokerSasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'broker', passwordFile: file });
    expect(JSON.stringify(config.raw)).not.toContain('the-secret');
    expect(readInterBrokerCredentials(config.cluster)).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'broker', password: 'the-secret' });
  });

  it('refuses a username without a password file, and the other way round', () => {
    expect(() => resolveBrokerConfig({ options: { 'inter.broker.sasl.username': 'broker' } })).toThrow(/inter\.broker\.sasl\.username is set but inter\.broker\.sasl\.password\.file is not/);
    expect(() => resolveBrokerConfig({ options: { 'inter.broker.sasl.password.file': '/x' } })).toThrow(/inter\.broker\.sasl\.password\.file is set but inter\.broker\.sasl\.username is not/);
  });

  it('refuses a mechanism that is not SCRAM, or that the brokers do not enable', () => {
    expect(() => resolveBrokerConfig({ options: { 'inter.broker.sasl.mechanism': 'PLAIN' } })).toThrow(ConfigError);
    expect(() => resolveBrokerConfig({ options: { 'inter.broker.sasl.mechanism': 'PLAIN' } })).toThrow(/inter\.broker\.sasl\.mechanism.*SCRAM-SHA-256/);
    expect(() =>
      resolveBrokerConfig({ options: { 'inter.broker.sasl.username': 'broker', 'inter.broker.sasl.password.file': '/x', 'inter.broker.sasl.mechanism': 'SCRAM-SHA-256', 'sasl.enabled.mechanisms': 'SCRAM-SHA-512' } }),
    ).toThrow(/inter\.broker\.sasl\.mechanism SCRAM-SHA-256 is not in sasl\.enabled\.mechanisms/);
  });

  it('stops a clustered broker at start-up when the password file is missing or empty, naming the setting', async () => {
    const cluster = { 'etcd.endpoints': 'http://127.0.0.1:1', 'inter.broker.sasl.username': 'broker' };
    await expect(startBroker({ dataDir: join(dir, 'b1'), port: 0, config: { ...cluster, 'inter.broker.sasl.password.file': join(dir, 'missing') } })).rejects.toThrow(
      /inter\.broker\.sasl\.password\.file.*cannot read the inter-broker password file/,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    await expect(startBroker({ dataDir: join(dir, 'b2'), port: 0, config: { ...cluster, 'inter.broker.sasl.password.file': empty } })).rejects.toThrow(/is empty/);
  });
});
