/** Admin.describeCluster against a real in-process broker. */
import type { Admin, Strata } from '../src';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('Admin.describeCluster', () => {
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

  it('names the brokers, the controller and where each partition of each topic is', async () => {
    const topic = uniqueTopic('cluster');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const cluster = await admin.describeCluster();
    const id = broker.broker.config.brokerId;
    expect(cluster.brokers).toEqual([{ nodeId: id, url: broker.url, rack: null, epoch: 0 }]);
    expect(cluster.clusterId).not.toBe('');
    const described = cluster.topics.find((t) => t.name === topic);
    expect(described).toEqual({
      name: topic,
      isInternal: false,
      partitions: [0, 1].map((partition) => ({ partition, leader: id, leaderEpoch: expect.any(Number), replicas: [id], isr: [id] })),
    });
  });

  it('lists deleted topics no more', async () => {
    const topic = uniqueTopic('cluster-gone');
    await admin.createTopics({ topics: [{ topic }] });
    await admin.deleteTopics({ topics: [topic] });
    expect((await admin.describeCluster()).topics.map((t) => t.name)).not.toContain(topic);
  });
});
