/**
 * Authentication against a real broker: SCRAM-SHA-256 and -512, OAUTHBEARER (JWT), mutual TLS,
 * session expiry and re-authentication, rate limiting of failures; and the transport's own guards
 * (Origin allow-list, handshake timeout). Each refusal is checked for its error code and for the
 * connection being closed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, type ScramMechanismName } from '@strata/protocol';
import WebSocket from 'ws';
import { Broker, ManualClock } from '../src';
import { makeCa, makeCert } from './helpers/certs';
import { addUser, bearerLogin, ecKeys, jwt, scramLogin } from './helpers/security';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic } from './helpers/wire-client';

async function counter(broker: Broker, name: 'authentications' | 'connectionsRefused' | 'connectionsClosed', labels: Record<string, string>): Promise<number> {
  const m = await broker.metrics[name].get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((n, v) => n + v.value, 0);
}

describe('SASL/SCRAM', () => {
  const { dir, cleanup } = tempDir();
  let broker: Broker;
  beforeAll(async () => {
    await addUser(dir, 'alice', 'alice-secret');
    broker = await Broker.start({ dataDir: dir, port: 0, config: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512', 'auth.failure.max.attempts': 3 } });
  });
  afterAll(async () => {
    await broker.close();
    cleanup();
  });

  it('announces the mechanisms in ApiVersions', async () => {
    const c = await WireClient.connect(broker.url, { handshake: false });
    const versions = await c.request('ApiVersions', {});
    expect(versions.authMechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await c.close();
  });

  it.each<ScramMechanismName>(['SCRAM-SHA-256', 'SCRAM-SHA-512'])('%s: the right password is accepted and requests are served', async (mechanism) => {
    const c = await WireClient.connect(broker.url);
    const done = await scramLogin(c, mechanism, 'alice', 'alice-secret');
    expect(done.errorCode).toBe(0);
    await createTopic(c, `scram-${mechanism.toLowerCase()}`);
    await c.close();
  });

  it('a wrong password gets SASL_AUTHENTICATION_FAILED, is counted, and the connection is closed', async () => {
    const failedBefore = await counter(broker, 'authentications', { result: 'failed' });
    const c = await WireClient.connect(broker.url);
    const r = await scramLogin(c, 'SCRAM-SHA-256', 'alice', 'wrong');
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(r.errorMessage).toContain('wrong user name or password');
    await c.closed;
    expect(c.closeCode).toBe(1008);
    expect(await counter(broker, 'authentications', { result: 'failed' })).toBe(failedBefore + 1);
  });

  it('an unknown user fails exactly like a wrong password', async () => {
    const c = await WireClient.connect(broker.url);
    const r = await scramLogin(c, 'SCRAM-SHA-512', 'mallory', 'whatever');
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(r.errorMessage).toContain('wrong user name or password');
    await c.closed;
  });

  it('refuses other requests before authentication and closes the connection', async () => {
    const c = await WireClient.connect(broker.url);
    await expect(c.request('Metadata', { allTopics: true })).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    await c.closed;
  });

  it('refuses an unknown mechanism with UNSUPPORTED_SASL_MECHANISM', async () => {
    const c = await WireClient.connect(broker.url);
    const r = await c.request('SaslHandshake', { mechanism: 'PLAIN' });
    expect(r.errorCode).toBe(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    expect(r.mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await c.closed;
  });
});

describe('rate limiting of failed authentications', () => {
  it('after auth.failure.max.attempts failures for a user, even the right password is refused until the window passes', async () => {
    const { dir, cleanup } = tempDir();
    await addUser(dir, 'bob', 'bob-secret');
    const clock = new ManualClock();
    const broker = await Broker.start({ dataDir: dir, port: 0, clock, config: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256', 'auth.failure.max.attempts': 2, 'auth.failure.window.ms': 60_000 } });
    try {
      for (let i = 0; i < 2; i++) {
        const c = await WireClient.connect(broker.url);
        expect((await scramLogin(c, 'SCRAM-SHA-256', 'bob', 'guess')).errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
        await c.closed;
      }
      const blocked = await WireClient.connect(broker.url);
      const r = await scramLogin(blocked, 'SCRAM-SHA-256', 'bob', 'bob-secret');
      expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
      expect(r.errorMessage).toContain('too many failed authentications');
      await blocked.closed;
      clock.advance(60_001);
      const later = await WireClient.connect(broker.url);
      expect((await scramLogin(later, 'SCRAM-SHA-256', 'bob', 'bob-secret')).errorCode).toBe(0);
      await later.close();
    } finally {
      await broker.close();
      cleanup();
    }
  });
});

describe('session lifetime and re-authentication', () => {
  it('a SCRAM session ends after connections.max.reauth.ms unless the client re-authenticates on the connection', async () => {
    const { dir, cleanup } = tempDir();
    await addUser(dir, 'carol', 'carol-secret');
    const clock = new ManualClock();
    const broker = await Broker.start({ dataDir: dir, port: 0, clock, config: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256', 'connections.max.reauth.ms': 10_000 } });
    try {
      const keeps = await WireClient.connect(broker.url);
      const lapses = await WireClient.connect(broker.url);
      expect((await scramLogin(keeps, 'SCRAM-SHA-256', 'carol', 'carol-secret')).sessionLifetimeMs).toBe(10_000);
      expect((await scramLogin(lapses, 'SCRAM-SHA-256', 'carol', 'carol-secret')).errorCode).toBe(0);
      clock.advance(8_000);
      expect((await scramLogin(keeps, 'SCRAM-SHA-256', 'carol', 'carol-secret')).errorCode).toBe(0);
      clock.advance(5_000);
      expect((await keeps.request('Metadata', { allTopics: true })).topics).toBeDefined();
      await expect(lapses.request('Metadata', { allTopics: true })).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', message: expect.stringContaining('expired') });
      await lapses.closed;
      await keeps.close();
    } finally {
      await broker.close();
      cleanup();
    }
  });
});

describe('SASL/OAUTHBEARER', () => {
  const { dir, cleanup } = tempDir();
  const keys = ecKeys();
  const other = ecKeys();
  const clock = new ManualClock(1_800_000_000_000);
  const now = () => Math.floor(clock.now() / 1000);
  let broker: Broker;
  beforeAll(async () => {
    writeFileSync(join(dir, 'jwt.pem'), keys.publicPem);
    broker = await Broker.start({
      dataDir: join(dir, 'data'),
      port: 0,
      clock,
      config: { 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'sasl.oauthbearer.public.key.file': join(dir, 'jwt.pem'), 'sasl.oauthbearer.expected.audience': 'strata' },
    });
  });
  afterAll(async () => {
    await broker.close();
    cleanup();
  });

  it('accepts a valid token; the session lasts until it expires', async () => {
    const c = await WireClient.connect(broker.url);
    const r = await bearerLogin(c, jwt(keys.privateKey, { sub: 'web-app', aud: 'strata', exp: now() + 600 }));
    expect(r.errorCode).toBe(0);
    expect(r.sessionLifetimeMs).toBe(600_000);
    await c.close();
  });

  it.each([
    ['an expired token', () => jwt(keys.privateKey, { sub: 'web-app', aud: 'strata', exp: now() - 3600 }), 'expired'],
    ['a token signed with another key', () => jwt(other.privateKey, { sub: 'web-app', aud: 'strata', exp: now() + 600 }), 'signature'],
    ['a token for another audience', () => jwt(keys.privateKey, { sub: 'web-app', aud: 'elsewhere', exp: now() + 600 }), 'audience'],
    ['an unsigned token', () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"x","exp":${now() + 600}}`).toString('base64url')}.`, 'algorithm'],
  ])('refuses %s with SASL_AUTHENTICATION_FAILED and closes the connection', async (_what, token, reason) => {
    const c = await WireClient.connect(broker.url);
    const r = await bearerLogin(c, token());
    expect(r.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(r.errorMessage).toContain(reason);
    await c.closed;
  });
});

describe('mutual TLS', () => {
  const { dir, cleanup } = tempDir();
  let broker: Broker;
  let pems: ReturnType<typeof setup>;
  function setup() {
    const ca = makeCa(dir, 'ca');
    const rogue = makeCa(dir, 'rogue');
    return { ca, server: makeCert(dir, 'ca', 'server', 'localhost', true), client: makeCert(dir, 'ca', 'client', 'svc-orders'), stranger: makeCert(dir, 'rogue', 'stranger', 'svc-orders'), rogue };
  }
  beforeAll(async () => {
    pems = setup();
    broker = await Broker.start({
      dataDir: join(dir, 'data'),
      port: 0,
      config: {
        'ssl.cert.file': pems.server.certFile,
        'ssl.key.file': pems.server.keyFile,
        'ssl.ca.file': pems.ca.certFile,
        'ssl.client.auth': 'required',
        'authorizer.enable': true,
        'super.users': 'User:svc-orders',
      },
    });
  });
  afterAll(async () => {
    await broker.close();
    cleanup();
  });

  it('serves wss:// and takes the principal from the client certificate (a super user here)', async () => {
    expect(broker.url).toMatch(/^wss:\/\//);
    const c = await WireClient.connect(broker.url, { wsOptions: { ca: pems.ca.cert, cert: pems.client.cert, key: pems.client.key } });
    await createTopic(c, 'mtls-topic');
    await c.close();
  });

  it('refuses a client without a certificate, or with one from another CA, in the TLS handshake', async () => {
    await expect(WireClient.connect(broker.url, { wsOptions: { ca: pems.ca.cert } })).rejects.toThrow();
    await expect(WireClient.connect(broker.url, { wsOptions: { ca: pems.ca.cert, cert: pems.stranger.cert, key: pems.stranger.key } })).rejects.toThrow();
  });

  it('reloads its certificate without dropping the listener or open connections', async () => {
    const open = await WireClient.connect(broker.url, { wsOptions: { ca: pems.ca.cert, cert: pems.client.cert, key: pems.client.key } });
    makeCert(dir, 'ca', 'server', 'localhost', true); // same file names, new certificate
    expect(broker.reloadCertificates()).toBe(true);
    const again = await WireClient.connect(broker.url, { wsOptions: { ca: pems.ca.cert, cert: pems.client.cert, key: pems.client.key } });
    expect((await again.request('Metadata', { allTopics: true })).topics.length).toBeGreaterThan(0);
    expect((await open.request('Metadata', { allTopics: true })).topics.length).toBeGreaterThan(0);
    await again.close();
    await open.close();
  });
});

describe('transport guards', () => {
  it('refuses browser pages whose Origin is not in allowed.origins, accepts listed ones, the broker\'s own pages and clients without an Origin', async () => {
    const { dir, cleanup } = tempDir();
    const broker = await Broker.start({ dataDir: dir, port: 0, config: { 'allowed.origins': 'https://app.example.com' } });
    try {
      const refused = new WebSocket(broker.url, { origin: 'https://evil.example.com' });
      const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(403);
      expect(await counter(broker, 'connectionsRefused', { reason: 'origin' })).toBe(1);
      (await WireClient.connect(broker.url, { wsOptions: { origin: 'https://app.example.com' } })).close();
      (await WireClient.connect(broker.url)).close();
      // The broker's own pages (its web console) connect from its origin.
      (await WireClient.connect(broker.url, { wsOptions: { origin: broker.url.replace(/^ws:/, 'http:') } })).close();
      // A page of another name for this address (DNS rebinding) is not the broker's own.
      const reboundHost = `rebound.example:${new URL(broker.url).port}`;
      const rebound = new WebSocket(broker.url, { origin: `http://${reboundHost}`, headers: { host: reboundHost } });
      const reboundStatus = await new Promise<number>((resolve) => rebound.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(reboundStatus).toBe(403);
    } finally {
      await broker.close();
      cleanup();
    }
  });

  it('closes a connection that does not complete its handshake within connection.handshake.timeout.ms', async () => {
    const { dir, cleanup } = tempDir();
    const broker = await Broker.start({ dataDir: dir, port: 0, config: { 'connection.handshake.timeout.ms': 200 } });
    try {
      const silent = await WireClient.connect(broker.url, { handshake: false });
      await silent.closed;
      expect(silent.closeCode).toBe(1008);
      expect(await counter(broker, 'connectionsClosed', { reason: 'handshake-timeout' })).toBe(1);
      // One that completes its handshake stays open past the timeout.
      const prompt = await WireClient.connect(broker.url);
      await new Promise((r) => setTimeout(r, 400));
      expect((await prompt.request('Metadata', { allTopics: true })).topics).toBeDefined();
      await prompt.close();
    } finally {
      await broker.close();
      cleanup();
    }
  });
});
