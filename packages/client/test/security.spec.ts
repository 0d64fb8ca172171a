/**
 * The SDK against a real broker that requires authentication: SCRAM-SHA-256/512 with `sasl`,
 * clear non-retriable errors for a wrong password or missing credentials, OAUTHBEARER with a token
 * provider and re-authentication before the token ends, `tls` for wss://, users and ACLs through
 * the admin API, and quota throttles honoured (requests held until the throttle ends, on the
 * client's clock).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';
import { StrataError, silentLogger, wsTransport, type Transport } from '../src';
import { ManualClock } from './helpers/manual-clock';
import { testClient, uniqueTopic } from './helpers/test-broker';

describe('SASL from the SDK', () => {
  let dir: string;
  let broker: RunningBroker;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-sec-'));
    // Bootstrap: an open broker creates the first user, then the folder is reopened with SCRAM on.
    const open = await startBroker({ dataDir: dir, port: 0 });
    const bootstrap = testClient(open.url).admin();
    await bootstrap.connect();
    await bootstrap.upsertUser({ user: 'admin', password: 'admin-secret' });
    await bootstrap.upsertUser({ user: 'app', password: 'app-secret', mechanisms: ['SCRAM-SHA-512'] });
    await bootstrap.disconnect();
    await open.close();
    broker = await startBroker({ dataDir: dir, port: 0, config: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512', 'authorizer.enable': true, 'super.users': 'User:admin' } });
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with SCRAM-SHA-256 and SCRAM-SHA-512 and works as the authenticated user', async () => {
    const admin = testClient(broker.url, { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'admin-secret' } }).admin();
    await admin.connect();
    const topic = uniqueTopic('sasl');
    await admin.createTopics({ topics: [{ topic }] });
    await admin.createAcls({ acls: [{ principal: 'User:app', resourceType: 'TOPIC', resourceName: topic, operation: 'WRITE' }] });
    expect((await admin.describeUsers()).map((u) => u.user)).toEqual(['admin', 'app']);
    const producer = testClient(broker.url, { sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'app-secret' } }).producer();
    await producer.connect();
    const [meta] = await producer.send({ topic, messages: [{ value: 'authenticated' }] });
    expect(meta!.offset).toBe(0);
    // app may write this topic but not create topics.
    const appAdmin = testClient(broker.url, { sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'app-secret' } }).admin();
    await appAdmin.connect();
    await expect(appAdmin.createTopics({ topics: [{ topic: uniqueTopic('denied') }] })).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED', retriable: false });
    await appAdmin.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  });

  it('a wrong password fails connect() at once with SASL_AUTHENTICATION_FAILED (not retried)', async () => {
    const admin = testClient(broker.url, { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'nope' } }).admin();
    const error = await admin.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', retriable: false });
    await admin.disconnect();
  });

  it('without credentials, says that the broker requires them', async () => {
    const admin = testClient(broker.url).admin();
    await expect(admin.connect()).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', message: expect.stringContaining('pass the sasl option') });
    await admin.disconnect();
  });

  it('rejects invalid sasl and tls options by name', () => {
    expect(() => testClient(broker.url, { sasl: { mechanism: 'plain', username: 'a', password: 'b' } as never })).toThrow(/sasl/);
    expect(() => testClient(broker.url, { tls: true })).toThrow(/TLS applies to wss:\/\/ URLs/);
    expect(() => testClient('wss://127.0.0.1:1', { tls: { cafile: 'x' } as never })).toThrow(/tls\.cafile/);
  });
});

describe('OAUTHBEARER from the SDK', () => {
  it('authenticates with the provider\'s token and re-authenticates with a fresh one before it expires', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-oauth-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'key.pem'), publicKey.export({ format: 'pem', type: 'spki' }));
    const broker = await startBroker({ dataDir: join(dir, 'data'), port: 0, config: { 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'sasl.oauthbearer.public.key.file': join(dir, 'key.pem') } });
    const clock = new ManualClock(Date.now());
    let issued = 0;
    const token = () => {
      issued++;
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const input = `${enc({ alg: 'ES256' })}.${enc({ sub: 'browser-app', exp: Math.floor(Date.now() / 1000) + 3600, n: issued })}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };
    const admin = testClient(broker.url, { clock, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token() }) } }).admin();
    const auths: Array<{ reauthentication: boolean; sessionLifetimeMs: number }> = [];
    admin.on('connection.authenticate', (e) => auths.push(e.payload));
    try {
      await admin.connect();
      expect(auths).toHaveLength(1);
      expect(auths[0]!.sessionLifetimeMs).toBeGreaterThan(3_500_000);
      const reauthenticated = new Promise<void>((resolve) => admin.on('connection.authenticate', () => resolve()));
      clock.advance(Math.floor(auths[0]!.sessionLifetimeMs * 0.85)); // the client's timer for re-authentication fires
      await reauthenticated;
      expect(auths.map((a) => a.reauthentication)).toEqual([false, true]);
      expect(issued).toBe(2);
      expect(await admin.listTopics()).toEqual([]);
    } finally {
      await admin.disconnect();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS from the SDK', () => {
  it('connects to a wss:// broker trusting the CA given in tls.ca, and fails without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-tls-'));
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test-ca']);
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext']);
    const broker = await startBroker({ dataDir: join(dir, 'data'), port: 0, config: { 'ssl.cert.file': join(dir, 'server.crt'), 'ssl.key.file': join(dir, 'server.key') } });
    try {
      const admin = testClient(broker.url, { tls: { ca: readFileSync(join(dir, 'ca.crt'), 'utf8') } }).admin();
      await admin.connect();
      expect(await admin.listTopics()).toEqual([]);
      await admin.disconnect();
      const untrusting = testClient(broker.url, { retry: { retries: 0 } }).admin();
      await expect(untrusting.connect()).rejects.toThrow(/certificate/);
      await untrusting.disconnect();
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('quota throttles', () => {
  it('hold the next requests to that broker until the throttle time has passed on the client clock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-quota-'));
    const broker = await startBroker({ dataDir: dir, port: 0, config: { 'quota.request.rate': 1 } });
    const clock = new ManualClock(Date.now());
    const sent: string[] = [];
    const base = wsTransport();
    // Records every frame the SDK writes (its API key), to see when the held request goes out.
    const recording: Transport = {
      name: 'recording',
      connect: async (url, opts) => {
        const c = await base.connect(url, opts);
        return {
          send: (frame: Uint8Array) => {
            sent.push(String((frame[0]! << 8) | frame[1]!));
            c.send(frame);
          },
          close: (code?: number, reason?: string) => c.close(code, reason),
          get bufferedAmount() {
            return c.bufferedAmount;
          },
          get isOpen() {
            return c.isOpen;
          },
        };
      },
    };
    const admin = testClient(broker.url, { clock, transport: recording, logger: silentLogger }).admin();
    const throttles: number[] = [];
    admin.on('connection.throttle', (e) => throttles.push(e.payload.throttleMs));
    try {
      await admin.connect();
      while (throttles.length === 0) await admin.describeTopics();
      const before = sent.length;
      const held = admin.describeTopics();
      let settled = false;
      void held.then(() => (settled = true));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(sent.length).toBe(before); // nothing written while throttled
      expect(settled).toBe(false);
      clock.advance(throttles[0]!);
      await held; // written once the throttle ended, and answered
      expect(sent.length).toBe(before + 1);
    } finally {
      await admin.disconnect();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

});
