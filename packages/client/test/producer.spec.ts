/** Producer behaviour against a real in-process broker. */
import { partitionForKey, StrataClosedError, StrataError, type Admin, type Producer, type Strata } from '../src';
import { take } from './helpers/collect';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('Producer', () => {
  let broker: TestBroker;
  let strata: Strata;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startTestBroker({ 'message.max.bytes': 4096, durability: 'async' });
    strata = testClient(broker.url);
    admin = strata.admin();
    producer = strata.producer();
    await admin.connect();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
  });

  async function readAll(topic: string, partitions: number, count: number) {
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, fromBeginning: true })));
      return await take(consumer, count);
    } finally {
      await consumer.disconnect();
    }
  }

  it('resolves one { topic, partition, offset } per message in input order, keys placed by murmur2', async () => {
    const topic = uniqueTopic('prod-keys');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const keys = ['0', '1', '21', 'foobar', '0', 'abc', '1'];
    const results = await producer.send({ topic, messages: keys.map((key, i) => ({ key, value: `v${i}` })) });
    expect(results.map((r) => r.partition)).toEqual(keys.map((k) => partitionForKey(k, 3)));
    expect(results.every((r) => r.topic === topic)).toBe(true);
    // Offsets are contiguous per partition, in input order.
    const next = new Map<number, number>();
    for (const r of results) {
      expect(r.offset).toBe(next.get(r.partition) ?? 0);
      next.set(r.partition, r.offset + 1);
    }
  });

  it('keeps unkeyed messages of one send on one partition and an explicit partition wins', async () => {
    const topic = uniqueTopic('prod-sticky');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const results = await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
    expect(new Set(results.map((r) => r.partition)).size).toBe(1);
    const explicit = await producer.send({ topic, messages: [{ key: 'foobar', value: 'x', partition: 3 }] });
    expect(explicit[0]!.partition).toBe(3);
  });

  it('accepts Uint8Array and Buffer bytes, strings, null and empty keys, values and headers', async () => {
    const topic = uniqueTopic('prod-bytes');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({
      topic,
      messages: [
        { key: Buffer.from('buf-key'), value: Uint8Array.from([0, 255]), headers: { a: Buffer.from('x'), b: null, c: '' } },
        { key: '', value: '', headers: [{ key: 'dup', value: '1' }, { key: 'dup', value: '2' }] },
        { key: null, value: null },
      ],
    });
    const [m0, m1, m2] = await readAll(topic, 1, 3);
    expect(m0!.keyString()).toBe('buf-key');
    expect(Array.from(m0!.value!)).toEqual([0, 255]);
    expect(m0!.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString()])).toEqual([
      ['a', 'x'],
      ['b', null],
      ['c', ''],
    ]);
    expect(m1!.key).toEqual(Buffer.alloc(0)); // a Buffer from the Node entry
    expect(m1!.value).toEqual(Buffer.alloc(0));
    expect(m1!.headers.map((h) => h.key)).toEqual(['dup', 'dup']);
    expect(m1!.headerString('dup')).toBe('2');
    expect(m2!.key).toBeNull();
    expect(m2!.value).toBeNull();
    expect(m2!.headers).toEqual([]);
  });

  it("splits a partition's messages into several batches above the broker batch limit", async () => {
    const topic = uniqueTopic('prod-split');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const value = 'x'.repeat(1000); // ~4 records fit in one 4 KiB batch
    const results = await producer.send({ topic, messages: Array.from({ length: 20 }, () => ({ value })) });
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const messages = await readAll(topic, 1, 20);
    expect(messages.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('rejects a single message larger than the broker batch limit with MESSAGE_TOO_LARGE', async () => {
    const topic = uniqueTopic('prod-large');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await expect(producer.send({ topic, messages: [{ value: 'x'.repeat(5000) }] })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE', retriable: false });
  });

  it('sends with acks=0 without waiting for the broker, offsets unknown', async () => {
    const topic = uniqueTopic('prod-acks0');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const results = await producer.send({ topic, acks: 0, messages: [{ value: 'a' }, { value: 'b' }] });
    expect(results).toEqual([
      { topic, partition: 0, offset: -1 },
      { topic, partition: 0, offset: -1 },
    ]);
    expect((await readAll(topic, 1, 2)).map((m) => m.valueString())).toEqual(['a', 'b']);
  });

  it('sends to several topics with sendBatch', async () => {
    const a = uniqueTopic('prod-multi-a');
    const b = uniqueTopic('prod-multi-b');
    await admin.createTopics({ topics: [{ topic: a, numPartitions: 1 }, { topic: b, numPartitions: 2 }] });
    const results = await producer.sendBatch({
      topicMessages: [
        { topic: a, messages: [{ value: '1' }] },
        { topic: b, messages: [{ value: '2', partition: 1 }, { value: '3', partition: 0 }] },
      ],
    });
    expect(results).toEqual([
      { topic: a, partition: 0, offset: 0 },
      { topic: b, partition: 1, offset: 0 },
      { topic: b, partition: 0, offset: 0 },
    ]);
  });

  it('fails clearly for an unknown topic when the broker does not auto-create, and for a bad partition', async () => {
    await expect(producer.send({ topic: uniqueTopic('prod-missing'), messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const topic = uniqueTopic('prod-badpart');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const error = await producer.send({ topic, messages: [{ value: 'x', partition: 5 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as Error).message).toMatch(/partitions 0-1/);
    await expect(producer.send({ topic, messages: [{ value: 5 as unknown as string }] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('uses a custom partitioner function', async () => {
    const topic = uniqueTopic('prod-custom');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const custom = strata.producer({ partitioner: ({ message, partitionCount }) => Number(message.key) % partitionCount });
    await custom.connect();
    try {
      const results = await custom.send({ topic, messages: [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ key: String(k), value: 'v' })) });
      expect(results.map((r) => r.partition)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    } finally {
      await custom.disconnect();
    }
  });

  it('looks up metadata again when a partition is beyond the cached count (the topic grew)', async () => {
    const topic = uniqueTopic('prod-grow');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await producer.send({ topic, messages: [{ value: 'cached with 2 partitions' }] });
    await admin.deleteTopics({ topics: [topic] });
    await admin.createTopics({ topics: [{ topic, numPartitions: 5 }] });
    expect(await producer.send({ topic, messages: [{ value: 'to partition 4', partition: 4 }] })).toEqual([{ topic, partition: 4, offset: 0 }]);
  });

  it('caches topic metadata for metadataMaxAgeMs', async () => {
    const topic = uniqueTopic('prod-meta-age');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const countMetadataRequests = async (metadataMaxAgeMs: number): Promise<number> => {
      const p = testClient(broker.url, { metadataMaxAgeMs }).producer();
      let n = 0;
      p.on('connection.request', (e) => {
        if (e.payload.apiName === 'Metadata') n++;
      });
      await p.connect();
      try {
        for (let i = 0; i < 3; i++) await p.send({ topic, messages: [{ value: 'v' }] });
      } finally {
        await p.disconnect();
      }
      return n;
    };
    expect(await countMetadataRequests(300_000)).toBe(1);
    expect(await countMetadataRequests(0)).toBe(3);
  });

  it('emits producer.request per Produce request until unsubscribed', async () => {
    const topic = uniqueTopic('prod-events');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const seen: Array<{ partitions: number; records: number; acks: number }> = [];
    const off = producer.on('producer.request', (e) => seen.push({ partitions: e.payload.partitions, records: e.payload.records, acks: e.payload.acks }));
    await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }, { value: 'c', partition: 1 }] });
    off();
    await producer.send({ topic, messages: [{ value: 'd' }] });
    expect(seen).toEqual([{ partitions: 2, records: 3, acks: -1 }]);
  });

  it('refuses to send before connect() and after disconnect()', async () => {
    const p = strata.producer();
    await expect(p.send({ topic: 'x', messages: [{ value: 'v' }] })).rejects.toBeInstanceOf(StrataClosedError);
    await p.connect();
    await p.disconnect();
    await expect(p.send({ topic: 'x', messages: [{ value: 'v' }] })).rejects.toBeInstanceOf(StrataClosedError);
  });
});

describe('Producer with auto-creation on the broker', () => {
  it('creates the topic on first send', async () => {
    const broker = await startTestBroker({ 'auto.create.topics.enable': true, 'num.partitions': 2 });
    const strata = testClient(broker.url);
    const producer = strata.producer();
    try {
      await producer.connect();
      const topic = uniqueTopic('auto');
      const [r] = await producer.send({ topic, messages: [{ key: '1', value: 'v' }] });
      expect(r).toEqual({ topic, partition: partitionForKey('1', 2), offset: 0 });
    } finally {
      await producer.disconnect();
      await broker.stop();
    }
  });
});
