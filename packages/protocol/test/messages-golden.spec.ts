/**
 * Golden bytes for one representative message of every API, request and response, so that any
 * change to a .proto file that changes the wire shows up here.
 */
import { Apis, RecordBatchBuilder, decodeMessage, type ApiDefinition } from '../src';
import { expectGolden } from './golden';

const batch = (() => {
  const b = new RecordBatchBuilder({ initialCapacity: 128 });
  b.append({ key: 'k', value: 'v', timestamp: 1_700_000_000_000 });
  return b.build();
})();

const samples: Array<[string, ApiDefinition, object, object]> = [
  ['api-versions', Apis.ApiVersions, { clientSoftwareName: 'strata-js', clientSoftwareVersion: '0.1.0' }, {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 0 }, { apiKey: 1, minVersion: 0, maxVersion: 0 }],
    brokerId: 1,
    clusterId: 'c-1',
    brokerVersion: '0.1.0',
    authMechanisms: [],
    maxFrameBytes: 67108864,
    maxBatchBytes: 1048588,
  }],
  ['metadata', Apis.Metadata, { topics: ['orders'], allTopics: false, allowAutoTopicCreation: true }, {
    brokers: [{ nodeId: 1, url: 'ws://127.0.0.1:9092', rack: '' }],
    clusterId: 'c-1',
    controllerId: 1,
    topics: [{ errorCode: 0, name: 'orders', isInternal: false, partitions: [{ errorCode: 0, partition: 0, leaderId: 1, leaderEpoch: 0, replicas: [1], isr: [1] }], maxMessageBytes: 1048588 }],
  }],
  ['create-topics', Apis.CreateTopics, { topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1000' }] }], timeoutMs: 5000 }, {
    topics: [{ name: 'orders', errorCode: 36, errorMessage: 'exists', numPartitions: 3 }],
  }],
  ['delete-topics', Apis.DeleteTopics, { names: ['orders'], timeoutMs: 5000 }, { topics: [{ name: 'orders', errorCode: 0 }] }],
  ['describe-topics', Apis.DescribeTopics, { topics: ['orders'], includeConfigs: true }, {
    topics: [{
      name: 'orders',
      errorCode: 0,
      partitions: [{ partition: 0, leaderId: 1, logStartOffset: 5, logEndOffset: 2 ** 33, highWatermark: 2 ** 33, sizeBytes: 4096, segmentCount: 2 }],
      configs: [{ name: 'cleanup.policy', value: 'delete', isDefault: true }],
    }],
  }],
  ['produce', Apis.Produce, { acks: -1, timeoutMs: 30000, topics: [{ name: 'orders', partitions: [{ partition: 1, records: batch }] }] }, {
    topics: [{ name: 'orders', partitions: [{ partition: 1, errorCode: 0, baseOffset: 42, logAppendTime: -1, logStartOffset: 0 }] }],
  }],
  ['fetch', Apis.Fetch, {
    replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0,
    topics: [{ name: 'orders', partitions: [{ partition: 1, fetchOffset: 42, partitionMaxBytes: 1048576, currentLeaderEpoch: -1 }] }],
  }, {
    topics: [{ name: 'orders', partitions: [{ partition: 1, errorCode: 0, highWatermark: 43, lastStableOffset: 43, logStartOffset: 0, records: batch }] }],
  }],
  ['list-offsets', Apis.ListOffsets, { replicaId: -1, topics: [{ name: 'orders', partitions: [{ partition: 0, timestamp: -2 }] }] }, {
    topics: [{ name: 'orders', partitions: [{ partition: 0, errorCode: 0, timestamp: -1, offset: 17 }] }],
  }],
  ['alter-topic-configs', Apis.AlterTopicConfigs, { topics: [{ name: 'orders', configs: [{ name: 'retention.ms', value: '60000', operation: 0 }, { name: 'segment.bytes', operation: 1 }] }], validateOnly: false }, {
    topics: [{ name: 'orders', errorCode: 0 }],
  }],
  ['init-producer-id', Apis.InitProducerId, { transactionalId: '', transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }, { errorCode: 0, producerId: 1000, producerEpoch: 0 }],
  ['find-coordinator', Apis.FindCoordinator, { keyType: 0, keys: ['g1'] }, { coordinators: [{ key: 'g1', nodeId: 1, url: 'ws://127.0.0.1:9092', errorCode: 0 }] }],
  ['consumer-group-heartbeat', Apis.ConsumerGroupHeartbeat, {
    groupId: 'g1', memberId: 'm-1', memberEpoch: 3, instanceId: 'i-1', rebalanceTimeoutMs: 300000, sessionTimeoutMs: 45000,
    subscriptionChanged: true, subscribedTopicNames: ['orders'], subscribedTopicRegex: '', serverAssignor: 'sticky',
    ownedChanged: true, owned: [{ topic: 'orders', partitions: [0, 2] }], pollIdleMs: 12,
  }, { errorCode: 0, memberId: 'm-1', memberEpoch: 4, heartbeatIntervalMs: 3000, hasAssignment: true, assignment: [{ topic: 'orders', partitions: [0] }] }],
  ['consumer-group-describe', Apis.ConsumerGroupDescribe, { groupIds: ['g1'], includeOffsets: true }, {
    groups: [{
      errorCode: 0, groupId: 'g1', state: 'stable', groupEpoch: 4, assignmentEpoch: 4, assignor: 'sticky',
      members: [{ memberId: 'm-1', instanceId: '', clientId: 'c', clientHost: '127.0.0.1', memberEpoch: 4, subscribedTopicNames: ['orders'], assignment: [{ topic: 'orders', partitions: [0, 1] }], targetAssignment: [{ topic: 'orders', partitions: [0, 1] }] }],
      offsets: [{ topic: 'orders', partition: 0, committedOffset: 10, logEndOffset: 15, lag: 5, metadata: '' }],
    }],
  }],
  ['offset-commit', Apis.OffsetCommit, { groupId: 'g1', memberId: 'm-1', memberEpoch: 4, topics: [{ name: 'orders', partitions: [{ partition: 0, committedOffset: 10, committedLeaderEpoch: -1, metadata: '' }] }] }, {
    errorCode: 0, topics: [{ name: 'orders', partitions: [{ partition: 0, errorCode: 0 }] }],
  }],
  ['offset-fetch', Apis.OffsetFetch, { groupId: 'g1', topics: [{ name: 'orders', partitions: [0, 1] }] }, {
    errorCode: 0, topics: [{ name: 'orders', partitions: [{ partition: 0, committedOffset: 10, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }, { partition: 1, committedOffset: -1, errorCode: 0 }] }],
  }],
  ['list-groups', Apis.ListGroups, { statesFilter: ['stable'] }, { errorCode: 0, groups: [{ groupId: 'g1', groupState: 'stable', members: 2 }] }],
  ['sasl-handshake', Apis.SaslHandshake, { mechanism: 'SCRAM-SHA-256' }, { errorCode: 0, mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }],
  ['sasl-authenticate', Apis.SaslAuthenticate, { authBytes: new TextEncoder().encode('n,,n=user,r=abc') }, {
    errorCode: 0,
    authBytes: new TextEncoder().encode('r=abcdef,s=c2FsdA==,i=4096'),
    sessionLifetimeMs: 3600000,
    throttleMs: 0,
  }],
  ['describe-acls', Apis.DescribeAcls, { filter: { principal: 'User:alice' } }, {
    errorCode: 0,
    acls: [{ resourceType: 'TOPIC', resourceName: 'orders-', patternType: 'PREFIXED', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' }],
  }],
  ['create-acls', Apis.CreateAcls, { creations: [{ resourceType: 'GROUP', resourceName: 'g1', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' }] }, {
    results: [{ errorCode: 0 }],
  }],
  ['delete-acls', Apis.DeleteAcls, { filters: [{ principal: 'User:alice' }] }, {
    filterResults: [{ errorCode: 0, matchingAcls: [{ resourceType: 'GROUP', resourceName: 'g1', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' }] }],
  }],
  ['describe-user-scram-credentials', Apis.DescribeUserScramCredentials, { users: ['alice'] }, {
    errorCode: 0,
    results: [{ user: 'alice', errorCode: 0, credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }] }],
  }],
  ['alter-user-scram-credentials', Apis.AlterUserScramCredentials, {
    deletions: [{ name: 'bob', mechanism: 'SCRAM-SHA-512' }],
    upsertions: [{ name: 'alice', mechanism: 'SCRAM-SHA-256', iterations: 8192, salt: new Uint8Array(16).fill(1), storedKey: new Uint8Array(32).fill(2), serverKey: new Uint8Array(32).fill(3) }],
  }, { results: [{ user: 'bob', errorCode: 91, errorMessage: 'no credential' }, { user: 'alice', errorCode: 0 }], throttleMs: 250 }],
  ['delete-groups', Apis.DeleteGroups, { groupIds: ['g1'] }, { results: [{ groupId: 'g1', errorCode: 68, errorMessage: 'group has members' }] }],
  [
    'offset-for-leader-epoch',
    Apis.OffsetForLeaderEpoch,
    { replicaId: 2, topics: [{ name: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 4 }] }] },
    { topics: [{ name: 'orders', partitions: [{ partition: 0, errorCode: 0, leaderEpoch: 4, endOffset: 1200 }] }] },
  ],
  ['controlled-shutdown', Apis.ControlledShutdown, { brokerId: 2, brokerEpoch: 1234 }, { errorCode: 0, remainingLeaderships: 0 }],
  [
    'elect-leaders',
    Apis.ElectLeaders,
    { electionType: 0, topics: [{ name: 'orders', partitions: [0, 1] }], timeoutMs: 30000 },
    { errorCode: 0, topics: [{ name: 'orders', partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 84, errorMessage: 'already the preferred leader' }] }] },
  ],
  [
    'describe-cluster',
    Apis.DescribeCluster,
    {},
    {
      errorCode: 0,
      clusterId: 'c1',
      controllerId: 1,
      controllerEpoch: 7,
      brokers: [{ nodeId: 1, url: 'ws://127.0.0.1:9092', rack: 'a', epoch: 17 }],
      underReplicated: [{ topic: 'orders', partition: 0, leaderId: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2] }],
      offline: [],
      partitionCount: 4,
    },
  ],
  [
    'skip-corrupt',
    Apis.SkipCorrupt,
    { topics: [{ name: 'orders', partitions: [0] }] },
    { topics: [{ name: 'orders', partitions: [{ partition: 0, errorCode: 0, scannedSegments: 3, repairedSegments: 1, lost: [{ fromOffset: 100, toOffset: 119 }], bytesDropped: 4096 }] }] },
  ],
];

describe('golden message encodings', () => {
  it.each(samples)('%s request and response', (name, api, request, response) => {
    const req = api.request.encode(request).finish();
    const res = api.response.encode(response).finish();
    expectGolden(`${name}.request.hex`, req);
    expectGolden(`${name}.response.hex`, res);
    // Decoding and encoding again gives the same bytes: nothing is lost or reinterpreted.
    expect(Buffer.from(api.request.encode(decodeMessage(api.request, req) as object).finish())).toEqual(Buffer.from(req));
    expect(Buffer.from(api.response.encode(decodeMessage(api.response, res) as object).finish())).toEqual(Buffer.from(res));
  });

  it('has a sample for every API in the table', () => {
    expect(samples.map(([, api]) => api.name).sort()).toEqual(Object.values(Apis).map((a) => a.name).sort());
  });
});
