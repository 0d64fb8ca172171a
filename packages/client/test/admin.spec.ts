/** Admin against a real in-process broker. */
import { Admin, StrataAggregateError, StrataClosedError, StrataError, type Strata } from '../src';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('Admin', () => {
  let broker: TestBroker;
  let strata: Strata;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startTestBroker();
    strata = testClient(broker.url);
    admin = strata.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.stop();
  });

  it('creates, lists, describes and deletes topics', async () => {
    const a = uniqueTopic('admin-a');
    const b = uniqueTopic('admin-b');
    expect(await admin.createTopics({ topics: [{ topic: a, numPartitions: 3, configs: { 'segment.bytes': '1048576' } }, { topic: b }] })).toEqual([
      { topic: a, numPartitions: 3 },
      { topic: b, numPartitions: broker.broker.config.numPartitions },
    ]);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([a, b]));

    const { topics } = await admin.describeTopics({ topics: [a] });
    expect(topics).toHaveLength(1);
    const described = topics[0]!;
    expect(described.name).toBe(a);
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of described.partitions) {
      expect(p).toMatchObject({ logStartOffset: 0, logEndOffset: 0, highWatermark: 0 });
      expect(p.leader).toBeGreaterThanOrEqual(0);
      expect(typeof p.size).toBe('number');
    }
    expect(described.configs).toEqual(expect.arrayContaining([{ name: 'segment.bytes', value: '1048576', isDefault: false }]));

    await admin.deleteTopics({ topics: [a, b] });
    const remaining = await admin.listTopics();
    expect(remaining).not.toContain(a);
    expect(remaining).not.toContain(b);
  });

  it('throws TOPIC_ALREADY_EXISTS for an existing topic', async () => {
    const topic = uniqueTopic('admin-dup');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const error = await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'TOPIC_ALREADY_EXISTS', retriable: false });
    expect((error as Error).message).toContain(topic);
  });

  it('reports several failed topics in one StrataAggregateError', async () => {
    const existing = uniqueTopic('admin-agg');
    await admin.createTopics({ topics: [{ topic: existing }] });
    const error = await admin.createTopics({ topics: [{ topic: existing }, { topic: uniqueTopic('admin-rf'), replicationFactor: 3 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataAggregateError);
    expect((error as StrataAggregateError).errors.map((e) => e.code)).toEqual(['TOPIC_ALREADY_EXISTS', 'INVALID_REPLICATION_FACTOR']);
  });

  it('validates without creating when validateOnly is set', async () => {
    const topic = uniqueTopic('admin-validate');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], validateOnly: true });
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('rejects invalid topic names and partition counts before sending', async () => {
    await expect(admin.createTopics({ topics: [{ topic: 'bad/name' }] })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
    await expect(admin.createTopics({ topics: [{ topic: 'ok', numPartitions: 0 }] })).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    await expect(admin.createTopics({ topics: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('throws UNKNOWN_TOPIC_OR_PARTITION when deleting or describing a missing topic', async () => {
    const missing = uniqueTopic('admin-missing');
    await expect(admin.deleteTopics({ topics: [missing] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.describeTopics({ topics: [missing] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.fetchTopicOffsets(missing)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('fetches low/high offsets per partition and offsets by timestamp', async () => {
    const topic = uniqueTopic('admin-offsets');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = strata.producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ value: `v${i}`, partition: 1, timestamp: 1000 + i * 1000 })) });
      expect(await admin.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, low: 0, high: 0, offset: 0 },
        { partition: 1, low: 0, high: 3, offset: 3 },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, 2000)).toEqual([
        { partition: 0, offset: 0 },
        { partition: 1, offset: 1 },
      ]);
      // After every record: the high watermark, as KafkaJS does.
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, 10_000)).toEqual([
        { partition: 0, offset: 0 },
        { partition: 1, offset: 3 },
      ]);
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses to work before connect()', async () => {
    const idle = strata.admin();
    await expect(idle.listTopics()).rejects.toBeInstanceOf(StrataClosedError);
  });
});
