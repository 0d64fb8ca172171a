/**
 * A secured cluster of real processes: etcd and three broker binaries requiring SCRAM and
 * enforcing ACLs (authorizer.enable=true), brokers authenticating to each other as User:broker
 * (in super.users). What it promises, checked by outcome (never by time):
 * - users and ACLs are the cluster's, not a broker's: a user created through broker 1
 *   authenticates at brokers 2 and 3; an ACL added through broker 2 is enforced by broker 3, and
 *   removing it through broker 1 revokes it there;
 * - replication runs on authenticated connections: acks=all succeeds with three in-sync replicas;
 *   a broker restarted with a wrong inter-broker password logs why and its replicas stay out of
 *   the ISR while the others go on;
 * - a client cannot pose as a follower: a Fetch with a replica id from a principal without
 *   CLUSTER_ACTION is refused (it would move the high watermark).
 * Admin requests go to one named broker through RawConnection (the SDK sends them to the controller).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strata, silentLogger, type Admin } from '@strata/client';
import { SCRAM_MECHANISMS, deriveScramCredential } from '@strata/protocol';
import { LocalCluster } from '@strata/tools-kit';
import { RawConnection } from './raw-connection';
import { until } from './until';

const BROKER_PASSWORD = 'inter-broker-secret';

const acl = (principal: string, topic: string, operation: string) => ({
  resourceType: 'TOPIC',
  resourceName: topic,
  patternType: 'LITERAL',
  principal,
  host: '*',
  operation,
  permission: 'ALLOW',
});

describe('a secured cluster (SCRAM, ACLs, authenticated replication)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cluster-security-'));
  const passwordFile = (id: number) => join(dir, `broker-${id}.password`);
  const lines = new Map<number, string[]>();
  const cluster = new LocalCluster({
    brokers: 3,
    dataDir: dir,
    settings: {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'authorizer.enable': 'true',
      'super.users': 'User:broker;User:admin',
      'inter.broker.sasl.username': 'broker',
      // Every broker and the test connect from 127.0.0.1: a failing broker must not get the address blocked.
      'auth.failure.max.attempts': '0',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'replica.lag.time.max.ms': '3000',
      'leader.imbalance.check.interval.ms': '600000',
    },
    brokerSettings: (id) => ({ 'inter.broker.sasl.password.file': passwordFile(id) }),
    onLine: (id, line) => lines.set(id, [...(lines.get(id) ?? []), line]),
  });
  const url = (id: number) => cluster.broker(id).url;
  let admin: Admin;
  const sdk = (user: string, password: string, brokers = cluster.urls) =>
    new Strata({ brokers, clientId: `security-test-${user}`, logger: silentLogger, sasl: { mechanism: 'scram-sha-512', username: user, password } });

  /** Creates or replaces a user through one broker. */
  async function upsertUserAt(brokerId: number, user: string, password: string): Promise<void> {
    const c = await RawConnection.open(url(brokerId), 'admin', 'admin-secret');
    try {
      const cred = await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-512'], password, 4096);
      const r = await c.call('AlterUserScramCredentials', {
        deletions: [],
        upsertions: [{ name: user, mechanism: cred.mechanism, iterations: cred.iterations, salt: cred.salt, storedKey: cred.storedKey, serverKey: cred.serverKey }],
      });
      expect(r.results.map((x) => x.errorCode)).toEqual([0]);
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    for (const id of [1, 2, 3]) writeFileSync(passwordFile(id), `${BROKER_PASSWORD}\n`, { mode: 0o600 });
    await cluster.start();
    // Bootstrap: the brokers created User:broker from their password file; it may create the admin.
    const bootstrap = await RawConnection.open(url(1), 'broker', BROKER_PASSWORD);
    const cred = await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-512'], 'admin-secret', 4096);
    await bootstrap.call('AlterUserScramCredentials', {
      deletions: [],
      upsertions: [{ name: 'admin', mechanism: cred.mechanism, iterations: cred.iterations, salt: cred.salt, storedKey: cred.storedKey, serverKey: cred.serverKey }],
    });
    bootstrap.close();
    admin = sdk('admin', 'admin-secret').admin();
    await until('the admin to authenticate', async () => {
      await admin.connect();
      return true;
    });
    await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 3 }, { topic: 'orders', numPartitions: 1 }] });
    await until('every partition in sync', async () => {
      const c = await admin.describeCluster();
      const ts = c.topics.filter((t) => t.name === 'payments' || t.name === 'orders');
      return ts.length === 2 && ts.every((t) => t.partitions.every((p) => p.leader > 0 && p.isr.length === 3));
    });
  });

  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await cluster.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates a user created through broker 1 at brokers 2 and 3, and refuses a wrong password there', async () => {
    await upsertUserAt(1, 'alice', 'alice-secret');
    for (const id of [2, 3]) {
      const c = await until(`alice to authenticate at broker ${id}`, () => RawConnection.open(url(id), 'alice', 'alice-secret'));
      c.close();
      await expect(RawConnection.open(url(id), 'alice', 'not-her-password')).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    }
  });

  it('enforces on broker 3 an ACL added through broker 2, and revokes it when removed through broker 1', async () => {
    await upsertUserAt(1, 'app', 'app-secret');
    const listOffsets = { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partition: 0, timestamp: -1 }] }] };
    const atThree = await until('app to authenticate at broker 3', () => RawConnection.open(url(3), 'app', 'app-secret'));
    try {
      expect(await atThree.send('ListOffsets', listOffsets)).toMatchObject({ error: 'TOPIC_AUTHORIZATION_FAILED' });

      const atTwo = await RawConnection.open(url(2), 'admin', 'admin-secret');
      const created = await atTwo.call('CreateAcls', { creations: [acl('User:app', 'orders', 'WRITE'), acl('User:app', 'orders', 'DESCRIBE')] });
      expect(created.results.map((r) => r.errorCode)).toEqual([0, 0]);
      atTwo.close();
      await until('broker 3 to allow app to describe orders', async () => (await atThree.send('ListOffsets', listOffsets)).error === null);

      // The SDK, bootstrapped at broker 3, writes wherever the leader is: the ACL holds there too.
      const producer = sdk('app', 'app-secret', [url(3)]).producer();
      await producer.connect();
      await producer.send({ topic: 'orders', messages: [{ value: 'allowed' }] });

      const atOne = await RawConnection.open(url(1), 'admin', 'admin-secret');
      const deleted = await atOne.call('DeleteAcls', { filters: [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: '', principal: 'User:app', host: '', operation: '', permission: '' }] });
      expect(deleted.filterResults[0]!.matchingAcls).toHaveLength(2);
      atOne.close();
      await until('broker 3 to deny app again', async () => (await atThree.send('ListOffsets', listOffsets)).error === 'TOPIC_AUTHORIZATION_FAILED');
      await expect(producer.send({ topic: 'orders', messages: [{ value: 'denied' }] })).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED' });
      await producer.disconnect();
    } finally {
      atThree.close();
    }
  });

  it('replicates over authenticated connections: acks=all succeeds and the ISR stays at 3', async () => {
    const producer = sdk('admin', 'admin-secret').producer();
    await producer.connect();
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'payments', messages: [{ key: `k${i}`, value: `v${i}` }] });
    await producer.disconnect();
    const c = await admin.describeCluster();
    for (const p of c.topics.find((t) => t.name === 'payments')!.partitions) expect([...p.isr].sort()).toEqual([1, 2, 3]);
    const { topics } = await admin.describeTopics({ topics: ['payments'] });
    expect(topics[0]!.partitions.reduce((sum, p) => sum + Number(p.highWatermark), 0)).toBe(30);
    for (const id of [1, 2, 3]) expect([cluster.broker(id).lastOutput, ...(lines.get(id) ?? [])].join('\n')).not.toContain('inter-broker authentication failed');
  });

  it('refuses a replica Fetch (a client posing as a follower) from a principal that is not a broker', async () => {
    const c = await admin.describeCluster();
    const p0 = c.topics.find((t) => t.name === 'payments')!.partitions[0]!;
    const fetch = {
      replicaId: p0.replicas.find((r) => r !== p0.leader)!,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ name: 'payments', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: 0 }] }],
    };
    // alice may read the topic, but READ is not CLUSTER_ACTION.
    const atTwo = await RawConnection.open(url(2), 'admin', 'admin-secret');
    await atTwo.call('CreateAcls', { creations: [acl('User:alice', 'payments', 'ALL')] });
    atTwo.close();
    const posing = await until('alice to authenticate at the leader', () => RawConnection.open(url(p0.leader), 'alice', 'alice-secret'));
    try {
      expect(await posing.send('Fetch', fetch)).toMatchObject({ error: 'CLUSTER_AUTHORIZATION_FAILED' });
      // The same request as a consumer (replica id -1) is allowed once the ACL has arrived.
      await until('alice to read as a consumer', async () => (await posing.send('Fetch', { ...fetch, replicaId: -1 })).error === null);
    } finally {
      posing.close();
    }
    const broker = await RawConnection.open(url(p0.leader), 'broker', BROKER_PASSWORD);
    expect((await broker.send('Fetch', fetch)).error).toBeNull();
    broker.close();
  });

  it('keeps a broker with a wrong inter-broker password out of the ISR, saying why, while the others go on', async () => {
    await cluster.broker(3).stop();
    await until('broker 3 to leave every ISR', async () => {
      const c = await admin.describeCluster();
      return c.topics.find((t) => t.name === 'payments')!.partitions.every((p) => !p.isr.includes(3));
    });
    writeFileSync(passwordFile(3), 'a-wrong-password\n');
    lines.set(3, []);
    await cluster.broker(3).start();
    const why = await until('broker 3 to log the failed inter-broker authentication', async () =>
      [cluster.broker(3).lastOutput, ...(lines.get(3) ?? [])].join('\n').split('\n').find((l) => l.includes('inter-broker authentication failed')),
    );
    expect(JSON.parse(why)).toMatchObject({ user: 'broker', mechanism: 'SCRAM-SHA-512', code: 'SASL_AUTHENTICATION_FAILED' });

    // Broker 3 itself serves clients (users are in etcd, not in its password file).
    const alice = await RawConnection.open(url(3), 'alice', 'alice-secret');
    alice.close();
    const producer = sdk('admin', 'admin-secret', [url(1), url(2)]).producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'payments', messages: [{ key: `after-${i}`, value: 'x' }] });
    await producer.disconnect();
    const c = await admin.describeCluster();
    expect(c.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    for (const p of c.topics.find((t) => t.name === 'payments')!.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect([...p.isr].sort()).toEqual([1, 2]);
    }
  });
});
