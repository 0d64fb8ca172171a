/**
 * Authorization against a real broker with authorizer.enable=true:
 * - every API key of the protocol is checked: a principal without ACLs is refused each API that
 *   names a resource, sees nothing through the APIs that list resources, and may still use the
 *   handshake APIs. An API added to the protocol without a sample request here fails this test,
 *   and one without an entry in security/api-resources.ts does not compile;
 * - an ACL matrix: prefixed and literal resources, DENY over ALLOW, hosts, implied DESCRIBE,
 *   super users, internal topics, and the ACL administration APIs themselves.
 */
import { ErrorCode, allApis, type ApiName, type RequestInitOf } from '@strata/protocol';
import { Broker } from '../src';
import { API_ACCESS } from '../src/security/api-resources';
import { addUser, scramLogin } from './helpers/security';
import { tempDir } from './helpers/tmp';
import { WireClient, batch, createTopic, produce } from './helpers/wire-client';

const SAMPLES: { [N in ApiName]?: RequestInitOf<N> } = {
  ApiVersions: {},
  SaslHandshake: { mechanism: 'SCRAM-SHA-256' },
  SaslAuthenticate: { authBytes: new Uint8Array(0) },
  Produce: { acks: 1, timeoutMs: 1000, topics: [{ name: 'secret', partitions: [{ partition: 0, records: batch([{ value: 'x' }]) }] }] },
  Fetch: { maxWaitMs: 0, minBytes: 1, maxBytes: 1024, replicaId: -1, topics: [{ name: 'secret', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }] },
  ListOffsets: { replicaId: -1, topics: [{ name: 'secret', partitions: [{ partition: 0, timestamp: -1 }] }] },
  Metadata: { allTopics: true },
  CreateTopics: { topics: [{ name: 'new-topic', numPartitions: 1 }] },
  DeleteTopics: { names: ['secret'] },
  DescribeTopics: { topics: [] },
  AlterTopicConfigs: { topics: [{ name: 'secret', configs: [{ name: 'retention.ms', value: '1000', operation: 0 }] }] },
  InitProducerId: {},
  FindCoordinator: { keyType: 0, keys: ['secret-group'] },
  ConsumerGroupHeartbeat: { groupId: 'secret-group', memberEpoch: 0, subscriptionChanged: true, subscribedTopicNames: ['secret'] },
  ConsumerGroupDescribe: { groupIds: ['secret-group'] },
  OffsetCommit: { groupId: 'secret-group', topics: [{ name: 'secret', partitions: [{ partition: 0, committedOffset: 1 }] }] },
  OffsetFetch: { groupId: 'secret-group', topics: [{ name: 'secret', partitions: [0] }] },
  ListGroups: {},
  DeleteGroups: { groupIds: ['secret-group'] },
  DescribeAcls: { filter: {} },
  CreateAcls: { creations: [{ resourceType: 'TOPIC', resourceName: 'secret', principal: 'User:nobody', operation: 'ALL', permission: 'ALLOW' }] },
  DeleteAcls: { filters: [{}] },
  DescribeUserScramCredentials: {},
  OffsetForLeaderEpoch: { replicaId: 2, topics: [{ name: 'secret', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] },
  ControlledShutdown: { brokerId: 1, brokerEpoch: 0 },
  ElectLeaders: { electionType: 0, topics: [] },
  DescribeCluster: {},
  SkipCorrupt: { topics: [{ name: 'secret', partitions: [0] }] },
  AlterUserScramCredentials: { deletions: [{ name: 'admin', mechanism: 'SCRAM-SHA-256' }] },
};

const DENIED = [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED];

describe('authorization (authorizer.enable=true)', () => {
  const { dir, cleanup } = tempDir();
  let broker: Broker;
  let admin: WireClient;
  const login = async (user: string): Promise<WireClient> => {
    const c = await WireClient.connect(broker.url);
    const r = await scramLogin(c, 'SCRAM-SHA-256', user, `${user}-secret`);
    if (r.errorCode !== 0) throw new Error(`login of ${user} failed: ${r.errorMessage}`);
    return c;
  };
  const acl = (principal: string, resourceType: string, resourceName: string, operation: string, extra: { patternType?: string; permission?: string; host?: string } = {}) => ({
    principal,
    resourceType,
    resourceName,
    operation,
    patternType: extra.patternType ?? 'LITERAL',
    permission: extra.permission ?? 'ALLOW',
    host: extra.host ?? '*',
  });

  beforeAll(async () => {
    for (const u of ['admin', 'nobody', 'alice']) await addUser(dir, u, `${u}-secret`, ['SCRAM-SHA-256']);
    broker = await Broker.start({
      dataDir: dir,
      port: 0,
      config: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256', 'authorizer.enable': true, 'super.users': 'User:admin' },
    });
    admin = await login('admin');
    for (const t of ['secret', 'orders-1', 'orders-blocked', 'payments']) await createTopic(admin, t);
  });
  afterAll(async () => {
    await admin.close();
    await broker.close();
    cleanup();
  });

  it('has an access rule for every API key of the protocol', () => {
    expect(allApis().map((a) => a.name).filter((n) => !(n in API_ACCESS))).toEqual([]);
  });

  it.each(allApis().map((a) => [a.name as ApiName] as const))('checks %s for a principal without ACLs', async (name) => {
    const sample = SAMPLES[name];
    if (!sample) throw new Error(`no sample request for ${name}: add one to SAMPLES so this test proves the API is checked`);
    const access = API_ACCESS[name];
    const nobody = await login('nobody');
    try {
      if (access.kind === 'handshake') {
        // Served (or answered by the SASL exchange), never refused by the authorizer.
        const r = await nobody.request(name, sample as never).then(
          (res) => ({ ok: true as const, res }),
          (e: { errorCode?: number }) => ({ ok: false as const, code: e.errorCode }),
        );
        if (!r.ok) expect(DENIED).not.toContain(r.code);
        return;
      }
      if (access.kind === 'checked') {
        const code = await nobody.request(name, sample as never).then(
          () => 'served',
          (e: { errorCode?: number }) => e.errorCode,
        );
        expect(DENIED).toContain(code);
        return;
      }
      // 'filtered': the response holds nothing the principal may not describe.
      const res = await nobody.request(name, sample as never);
      expect(JSON.stringify(res)).not.toMatch(/secret|orders|payments/);
    } finally {
      await nobody.close();
    }
  });

  it('applies prefixed and literal ACLs, DENY over ALLOW, hosts and implied DESCRIBE', async () => {
    const created = await admin.request('CreateAcls', {
      creations: [
        acl('User:alice', 'TOPIC', 'orders-', 'WRITE', { patternType: 'PREFIXED' }),
        acl('User:alice', 'TOPIC', 'orders-blocked', 'WRITE', { permission: 'DENY' }),
        acl('User:alice', 'TOPIC', 'payments', 'READ', { host: '10.9.8.7' }),
        acl('User:*', 'GROUP', 'shared-', 'READ', { patternType: 'PREFIXED' }),
      ],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([0, 0, 0, 0]);
    const alice = await login('alice');
    try {
      expect(await produce(alice, 'orders-1', 0, [{ value: 'ok' }])).toBe(0);
      await expect(produce(alice, 'orders-blocked', 0, [{ value: 'no' }])).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED' });
      await expect(produce(alice, 'payments', 0, [{ value: 'no' }])).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED' });
      // WRITE does not grant READ; READ from another host does not count.
      const fetch = (topic: string) =>
        alice.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 1024, replicaId: -1, topics: [{ name: topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }] });
      await expect(fetch('orders-1')).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED' });
      await expect(fetch('payments')).rejects.toMatchObject({ code: 'TOPIC_AUTHORIZATION_FAILED' });
      // WRITE implies DESCRIBE: Metadata of all topics shows exactly the topics alice may describe.
      const meta = await alice.request('Metadata', { allTopics: true });
      expect(meta.topics.map((t) => t.name).sort()).toEqual(['orders-1', 'orders-blocked']);
      // A group ACL for everyone.
      expect((await alice.request('FindCoordinator', { keyType: 0, keys: ['shared-g'] })).coordinators[0]!.errorCode).toBe(0);
      await expect(alice.request('FindCoordinator', { keyType: 0, keys: ['private-g'] })).rejects.toMatchObject({ code: 'GROUP_AUTHORIZATION_FAILED' });
      // Administration of ACLs is for the cluster's ALTER holders.
      await expect(alice.request('CreateAcls', { creations: [acl('User:alice', 'TOPIC', '*', 'ALL')] })).rejects.toMatchObject({ code: 'CLUSTER_AUTHORIZATION_FAILED' });
    } finally {
      await alice.close();
    }
    const described = await admin.request('DescribeAcls', { filter: { principal: 'User:alice' } });
    expect(described.acls).toHaveLength(3);
    const deleted = await admin.request('DeleteAcls', { filters: [{ principal: 'User:alice', resourceName: 'orders-blocked' }] });
    expect(deleted.filterResults[0]!.matchingAcls.map((a) => a.permission)).toEqual(['DENY']);
    const again = await login('alice');
    expect(await produce(again, 'orders-blocked', 0, [{ value: 'now allowed' }])).toBe(0);
    await again.close();
  });

  it('keeps internal topics unwritable even for super users', async () => {
    const forged = await admin.request('Produce', { acks: 1, timeoutMs: 1000, topics: [{ name: '__consumer_offsets', partitions: [{ partition: 0, records: batch([{ key: 'k', value: 'v' }]) }] }] });
    expect(forged.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('rejects invalid ACLs entry by entry with a clear message', async () => {
    const r = await admin.request('CreateAcls', { creations: [acl('alice', 'TOPIC', 'x', 'READ'), acl('User:alice', 'TOPIC', 'x', 'FLY')] });
    expect(r.results.map((x) => x.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(r.results[0]!.errorMessage).toContain('User:<name>');
    expect(r.results[1]!.errorMessage).toContain('unknown operation "FLY"');
  });
});
