/** Producer accumulators, partitioners, back-pressure, compression and bad input, against a real broker. */
import { Broker } from '@strata/broker';
import { CompressionCodec as CodecIds, readBatchHeader } from '@strata/protocol';
import { StrataClient, StrataSendError, uint8ArrayView, wsTransport, type Admin, type Producer, type Strata } from '../src';
import { take } from './helpers/collect';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('Producer batching', () => {
  let broker: TestBroker;
  let strata: Strata;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startTestBroker({ durability: 'async' });
    strata = testClient(broker.url);
    admin = strata.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.stop();
  });

  async function topicWith(partitions: number, configs: Record<string, string> = {}): Promise<string> {
    const topic = uniqueTopic('batching');
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
    return topic;
  }

  async function withProducer<T>(options: Parameters<Strata['producer']>[0], fn: (p: Producer) => Promise<T>, client: Strata = strata): Promise<T> {
    const p = client.producer(options);
    await p.connect();
    try {
      return await fn(p);
    } finally {
      await p.disconnect();
    }
  }

  /** The bytes stored for partition 0 of `topic` (the broker keeps produced batches verbatim). */
  async function stored(topic: string): Promise<Uint8Array> {
    const b = broker.broker;
    if (!(b instanceof Broker)) throw new Error('expected an in-process Broker');
    return (await b.topics.get(topic)!.partitions[0]!.log.read(0, 1 << 20, true)).records;
  }

  async function readValues(topic: string, partitions: number, count: number): Promise<string[]> {
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, fromBeginning: true })));
      return (await take(consumer, count)).map((m) => m.valueString() ?? '');
    } finally {
      await consumer.disconnect();
    }
  }

  it('lingers: many small sends to one broker go out in one Produce request', async () => {
    const topic = await topicWith(2);
    const requests: Array<{ partitions: number; records: number }> = [];
    await withProducer({ lingerMs: 100 }, async (p) => {
      p.on('producer.request', (e) => requests.push({ partitions: e.payload.partitions, records: e.payload.records }));
      const sends = Array.from({ length: 20 }, (_, i) => p.send({ topic, messages: [{ value: `v${i}`, partition: i % 2 }] }));
      const results = await Promise.all(sends);
      expect(results.map((r) => r[0]!.offset)).toEqual(Array.from({ length: 20 }, (_, i) => Math.floor(i / 2)));
    });
    expect(requests).toEqual([{ partitions: 2, records: 20 }]);
  });

  it('flush() sends at once whatever lingerMs says, and disconnect() flushes first', async () => {
    const topic = await topicWith(1);
    const p = strata.producer({ lingerMs: 60_000 });
    await p.connect();
    const first = p.send({ topic, messages: [{ value: 'a' }] });
    await p.flush();
    expect(await first).toEqual([{ topic, partition: 0, offset: 0 }]);
    const second = p.send({ topic, messages: [{ value: 'b' }] });
    await p.disconnect();
    expect(await second).toEqual([{ topic, partition: 0, offset: 1 }]);
  });

  it('sticky partitioning: unkeyed messages fill a batch on one partition, then move on', async () => {
    const topic = await topicWith(4);
    const value = 'x'.repeat(100);
    const results = await withProducer({ batchSize: 2048, lingerMs: 0 }, (p) => p.send({ topic, messages: Array.from({ length: 200 }, () => ({ value })) }));
    const runs: number[] = [];
    for (const r of results) if (runs.at(-1) !== r.partition) runs.push(r.partition);
    expect(new Set(results.map((r) => r.partition)).size).toBeGreaterThan(1);
    // ~18 records fill a 2 KiB batch: each run of one partition is about a batch.
    expect(runs.length).toBeGreaterThanOrEqual(200 / 20);
    expect(runs.length).toBeLessThanOrEqual(200 / 15);
  });

  it('the classic experiment: integer keys to key % partitionCount; key k lands on partition k', async () => {
    const topic = await topicWith(4);
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: String(i % 4), value: `m${i}` }));
    const results = await withProducer({ partitioner: ({ message, partitionCount }) => Number(message.key) % partitionCount }, (p) => p.send({ topic, messages }));
    expect(results.map((r) => r.partition)).toEqual(messages.map((m) => Number(m.key)));
  });

  it("round-robin spreads unkeyed messages over every partition and keeps keys where murmur2 puts them", async () => {
    const topic = await topicWith(3);
    const results = await withProducer({ partitioner: 'round-robin' }, (p) => p.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ value: `v${i}` })) }));
    expect(results.map((r) => r.partition)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it("fails only the message larger than the topic's max.message.bytes; the others of the send are written", async () => {
    const topic = await topicWith(1, { 'max.message.bytes': '2048' });
    const error = await withProducer({}, (p) => p.send({ topic, messages: [{ value: 'small-1' }, { value: 'x'.repeat(4000) }, { value: 'small-2' }] }).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(StrataSendError);
    const e = error as StrataSendError;
    expect(e.code).toBe('MESSAGE_TOO_LARGE');
    expect(e.failures.map((f) => [f.index, f.error.code, f.error.name])).toEqual([[1, 'MESSAGE_TOO_LARGE', 'StrataRecordTooLargeError']]);
    expect(e.message).toMatch(/at most 2048 bytes \(max\.message\.bytes\)/);
    expect(e.results.map((r) => r?.offset)).toEqual([0, undefined, 1]);
    expect(await readValues(topic, 1, 2)).toEqual(['small-1', 'small-2']);
  });

  it('keeps batches below the topic limit: many messages that together exceed it go in several batches', async () => {
    const topic = await topicWith(1, { 'max.message.bytes': '4096' });
    const results = await withProducer({ batchSize: 1 << 20, lingerMs: 20 }, (p) => p.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ value: `${i}-${'y'.repeat(500)}` })) }));
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it.each([
    ['gzip', CodecIds.Gzip],
    ['snappy', CodecIds.Snappy],
  ] as const)('compresses with %s: the codec is in the batch attributes, the log is smaller, consumers decompress', async (compression, id) => {
    const topic = await topicWith(1);
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 10}`, value: `value ${i} ${'the same words again and again '.repeat(4)}` }));
    await withProducer({ compression, lingerMs: 20 }, (p) => p.send({ topic, messages }));
    const records = await stored(topic);
    expect(readBatchHeader(records).attributes & 0x07).toBe(id);
    const raw = messages.reduce((n, m) => n + m.value.length, 0);
    expect(records.length).toBeLessThan(raw / 3);
    expect(await readValues(topic, 1, 500)).toEqual(messages.map((m) => m.value));
  });

  it('refuses a codec the platform does not have with UNSUPPORTED_COMPRESSION_TYPE (browsers: snappy without a codec)', () => {
    const bare = new StrataClient({ brokers: [broker.url] }, { transport: () => wsTransport(), bytesView: uint8ArrayView });
    expect(() => bare.producer({ compression: 'snappy' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_COMPRESSION_TYPE' }));
    expect(() => strata.producer({ compression: 'lz4' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_COMPRESSION_TYPE' }));
  });

  it('gets a producer id when idempotent (the default), none otherwise', async () => {
    const topic = await topicWith(1);
    await withProducer({}, async (p) => {
      expect(p.metrics().producerId).toBeGreaterThanOrEqual(0);
      await p.send({ topic, messages: [{ value: 'a' }] });
    });
    await withProducer({ idempotent: false }, async (p) => {
      expect(p.metrics().producerId).toBe(-1);
      await p.send({ topic, messages: [{ value: 'b' }] });
    });
    const records = await stored(topic);
    expect(readBatchHeader(records)).toMatchObject({ producerEpoch: 0, baseSequence: 0 });
    expect(readBatchHeader(records).producerId).toBeGreaterThanOrEqual(0);
  });

  it('explains an unknown topic when the broker does not auto-create topics', async () => {
    await expect(withProducer({}, (p) => p.send({ topic: uniqueTopic('missing'), messages: [{ value: 'x' }] }))).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      message: expect.stringMatching(/does not exist and the broker did not create it/),
    });
  });
});

describe('Producer back-pressure and failures (through a proxy)', () => {
  let broker: TestBroker;
  let proxy: FaultProxy;
  let strata: Strata;
  let topic: string;

  beforeEach(async () => {
    proxy = await startFaultProxy({ seed: 7 });
    broker = await startTestBroker({ durability: 'async', 'advertised.url': proxy.url });
    proxy.setTarget(`ws://127.0.0.1:${broker.broker.port}`);
    strata = testClient(broker.url, { requestTimeoutMs: 200 });
    const admin = strata.admin();
    await admin.connect();
    topic = uniqueTopic('pressure');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
  });
  afterEach(async () => {
    await proxy.close();
    await broker.stop();
  });

  it('keeps its memory within bufferMemory however fast send() is called', async () => {
    const bufferMemory = 256 * 1024;
    const p = strata.producer({ bufferMemory, batchSize: 16 * 1024, lingerMs: 1 });
    await p.connect();
    let peak = 0;
    const sample = (): void => {
      peak = Math.max(peak, p.metrics().bufferedBytes);
    };
    p.on('producer.request', sample);
    const value = new Uint8Array(100);
    const timer = setInterval(sample, 2);
    // 200,000 messages (~21 MB of batches, 80 times the buffer) handed over without waiting.
    const sends = Array.from({ length: 2000 }, () => p.send({ topic, messages: Array.from({ length: 100 }, () => ({ value })) }));
    sample();
    const results = await Promise.all(sends);
    clearInterval(timer);
    await p.disconnect();
    expect(results.flat()).toHaveLength(200_000);
    // The buffer filled up (send() had to wait) and never went past its size.
    expect(peak).toBeGreaterThan(bufferMemory / 2);
    expect(peak).toBeLessThanOrEqual(bufferMemory);
  }, 30_000);

  it('rejects send() with BUFFER_EXHAUSTED after maxBlockMs while the buffer stays full', async () => {
    proxy.setFaults(1, 0); // the broker never answers Produce
    const p = strata.producer({ bufferMemory: 32 * 1024, batchSize: 16 * 1024, maxBlockMs: 150, timeoutMs: 100, deliveryTimeoutMs: 2000 });
    await p.connect();
    const value = new Uint8Array(1000);
    const first = p.send({ topic, messages: Array.from({ length: 30 }, () => ({ value, partition: 0 })) }).catch((e: unknown) => e);
    const blocked = await p.send({ topic, messages: Array.from({ length: 30 }, () => ({ value, partition: 1 })) }).catch((e: unknown) => e);
    // Nothing of that send got in: the call fails as a whole.
    expect(blocked).toMatchObject({ code: 'BUFFER_EXHAUSTED', retriable: true, name: 'StrataBufferExhaustedError', maxBlockMs: 150 });
    expect(await first).toMatchObject({ code: 'DELIVERY_TIMEOUT' });
    proxy.setFaults(0, 0);
    await p.disconnect();
  }, 15_000);

  it('after a delivery timeout of a sent batch, moves to a new epoch and goes on without gaps or duplicates', async () => {
    const p = strata.producer({ lingerMs: 0, timeoutMs: 100, deliveryTimeoutMs: 1000, retry: { initialRetryTimeMs: 20, maxRetryTimeMs: 100 } });
    const epochs: number[] = [];
    p.on('producer.epoch', (e) => epochs.push(e.payload.producerEpoch));
    await p.connect();
    expect(await p.send({ topic, messages: [{ value: 'a', partition: 0 }] })).toEqual([{ topic, partition: 0, offset: 0 }]);
    proxy.setFaults(1, 0); // written, but never acknowledged
    await expect(p.send({ topic, messages: [{ value: 'b', partition: 0 }] })).rejects.toMatchObject({ code: 'DELIVERY_TIMEOUT' });
    proxy.setFaults(0, 0);
    expect(await p.send({ topic, messages: [{ value: 'c', partition: 0 }] })).toEqual([{ topic, partition: 0, offset: 2 }]);
    expect(epochs).toEqual([1]);
    await p.disconnect();
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
    expect((await take(consumer, 3)).map((m) => m.valueString())).toEqual(['a', 'b', 'c']);
    await consumer.disconnect();
  }, 15_000);
});
