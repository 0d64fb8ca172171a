/**
 * The classic consumer-group scenario against a real in-process broker: within a group each
 * partition goes to one member (unicast); every group sees every record (broadcast).
 */
import type { Consumer, ConsumerMessage, Strata } from '../../src';
import { partitionForKey } from '../../src';
import { until } from '../helpers/collect';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from '../helpers/test-broker';

/** Keys "key-<n>" such that the i-th lands on partition i of a topic with `count` partitions. */
function keysForEachPartition(count: number): string[] {
  const keys: string[] = [];
  for (let n = 0; keys.length < count; n++) if (partitionForKey(`key-${n}`, count) === keys.length) keys.push(`key-${n}`);
  return keys;
}

describe('consumer groups: the classic scenario', () => {
  let broker: TestBroker;
  let strata: Strata;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ durability: 'async', 'group.consumer.heartbeat.interval.ms': 200, 'group.consumer.min.session.timeout.ms': 1000 });
    strata = testClient(broker.url);
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  });
  afterAll(async () => {
    await broker.stop();
  });

  async function member(groupId: string, topic: string, sink: ConsumerMessage[]): Promise<Consumer> {
    const consumer = strata.consumer({ groupId, maxWaitMs: 100, sessionTimeoutMs: 10_000 });
    consumers.push(consumer);
    await consumer.connect();
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void sink.push(message) });
    return consumer;
  }

  it("group1's only member receives all three messages; group2's three members receive one each", async () => {
    const admin = strata.admin();
    await admin.connect();
    const topic = uniqueTopic('classic');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();

    const a: ConsumerMessage[] = [];
    const b: ConsumerMessage[][] = [[], [], []];
    const group1 = await member('group1', topic, a);
    const group2 = await Promise.all(b.map((sink) => member('group2', topic, sink)));
    await until(() => group1.assignment().length === 3 && group2.every((c) => c.assignment().length === 1), 'both groups settled');

    const keys = keysForEachPartition(3);
    const producer = strata.producer();
    await producer.connect();
    const sent = await producer.send({ topic, messages: keys.map((key) => ({ key, value: `value of ${key}` })) });
    expect(sent.map((m) => m.partition).sort()).toEqual([0, 1, 2]); // the murmur2 partitioner put each key on its own partition
    await producer.disconnect();

    await until(() => a.length >= 3 && b.flat().length >= 3, 'every message in both groups');
    expect(a.map((m) => m.keyString()).sort()).toEqual([...keys].sort());
    expect(b.map((sink) => sink.length)).toEqual([1, 1, 1]);
    expect(b.flat().map((m) => m.keyString()).sort()).toEqual([...keys].sort());
    expect(new Set(b.map((sink) => sink[0]!.partition)).size).toBe(3);
    expect(new Set(group2.map((c) => c.groupMember()!.memberId)).size).toBe(3);
  });
});
