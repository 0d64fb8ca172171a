/** Connection loss, broker restarts and timeouts, against a real in-process broker. */
import { StrataRequestTimeoutError, type StrataError } from '../src';
import { take, until } from './helpers/collect';
import { BrokerConnection } from '../src/network/broker-connection';
import { makeConnection, rejectionOf } from './helpers/connections';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('broker restarts and timeouts', () => {
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startTestBroker({ durability: 'async' });
  });
  afterEach(async () => {
    await broker.stop();
  });

  it('reconnects producer, admin and a running consumer after the broker restarts, losing and repeating nothing', async () => {
    const strata = testClient(broker.url);
    const admin = strata.admin();
    const producer = strata.producer();
    const consumer = strata.consumer({ maxWaitMs: 100 });
    const topic = uniqueTopic('restart');
    const closes: string[] = [];
    consumer.on('connection.close', (e) => closes.push(e.payload.url));
    try {
      await admin.connect();
      await producer.connect();
      await consumer.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
      consumer.assign([0, 1, 2].map((partition) => ({ topic, partition, fromBeginning: true })));
      const received: string[] = [];
      await consumer.run({
        eachMessage: ({ message }) => {
          received.push(message.valueString()!);
        },
      });
      await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i), value: `before-${i}` })) });
      await until(() => received.length === 30, 'messages before the restart');

      await broker.restart();
      await until(() => closes.length > 0, 'the consumer to notice the restart');

      await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i), value: `after-${i}` })) });
      await until(() => received.length >= 60, 'messages after the restart');
      expect(new Set(received).size).toBe(60);
      expect(received).toHaveLength(60);
      expect((await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + p.high, 0)).toBe(60);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('keeps retrying a send while the broker is down and delivers it once it is back', async () => {
    const strata = testClient(broker.url, { retry: { retries: 50, initialRetryTimeMs: 10, maxRetryTimeMs: 50 } });
    const admin = strata.admin();
    const producer = strata.producer();
    const topic = uniqueTopic('down');
    try {
      await admin.connect();
      await producer.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await broker.close();
      let retries = 0;
      producer.on('producer.retry', () => retries++);
      const sending = producer.send({ topic, messages: [{ value: 'eventually' }] });
      await until(() => retries > 0, 'a retry while the broker is down');
      await broker.start();
      expect(await sending).toEqual([{ topic, partition: 0, offset: 0 }]);
      const consumer = strata.consumer({ maxWaitMs: 50 });
      await consumer.connect();
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      expect((await take(consumer, 1))[0]!.valueString()).toBe('eventually');
      await consumer.disconnect();
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('fails connect() with a retriable connection error when no broker answers', async () => {
    await broker.close();
    const strata = testClient(broker.url, { retry: { retries: 1, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } });
    const admin = strata.admin();
    const error = (await rejectionOf(admin.connect())) as StrataError;
    expect(error.code).toBe('NETWORK_EXCEPTION');
    expect(error.retriable).toBe(true);
  });

  it('times out a request the broker holds longer than the request timeout, then reconnects for the next one', async () => {
    const strata = testClient(broker.url);
    const admin = strata.admin();
    await admin.connect();
    const topic = uniqueTopic('timeout');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const link = new BrokerConnection(broker.url, (url, onClose) => makeConnection(url, { requestTimeoutMs: 100, onClose }).connection);
    try {
      // The broker parks a fetch at the log end for maxWaitMs: far beyond the 100 ms timeout.
      const parked = link.request('Fetch', { replicaId: -1, maxWaitMs: 20_000, minBytes: 1, maxBytes: 1024, topics: [{ name: topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }] });
      const error = await rejectionOf(parked);
      expect(error).toBeInstanceOf(StrataRequestTimeoutError);
      expect((error as StrataError).retriable).toBe(true);
      const metadata = await link.request('Metadata', { topics: [topic] });
      expect(metadata.topics[0]!.name).toBe(topic);
    } finally {
      link.close();
    }
  });
});
