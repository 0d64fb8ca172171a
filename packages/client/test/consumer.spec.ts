/** Consumer (assign mode) behaviour against a real in-process broker. */
import { CompressionCodec, RecordBatchBuilder } from '@strata/protocol';
import type { Admin, ConsumerMessage, Producer, Strata } from '../src';
import { platformGzip, StrataError } from '../src';
import { makeConnection } from './helpers/connections';
import { take, until } from './helpers/collect';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('Consumer', () => {
  let broker: TestBroker;
  let strata: Strata;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startTestBroker({ durability: 'async' });
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

  async function topicWith(partitions: number, prefix: string): Promise<string> {
    const topic = uniqueTopic(prefix);
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    return topic;
  }

  it('reads 3 partitions from the beginning with run({ eachMessage }), each in offset order, null and empty fields intact', async () => {
    const topic = await topicWith(3, 'cons-run');
    const messages = [];
    for (let i = 0; i < 30; i++) {
      messages.push({
        key: i % 5 === 0 ? null : i % 5 === 1 ? '' : `k${i}`,
        value: i % 7 === 0 ? null : i % 7 === 1 ? '' : `value-${i}`,
        headers: i % 3 === 0 ? [{ key: 'n', value: String(i) }, { key: 'empty', value: '' }, { key: 'null', value: null }] : undefined,
        partition: i % 3,
      });
    }
    const sent = await producer.send({ topic, messages });
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    const seen: ConsumerMessage[] = [];
    try {
      consumer.assign([0, 1, 2].map((partition) => ({ topic, partition, fromBeginning: true })));
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message);
        },
      });
      await until(() => seen.length >= 30, '30 messages');
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toHaveLength(30);
    for (let p = 0; p < 3; p++) {
      const offsets = seen.filter((m) => m.partition === p).map((m) => m.offset);
      expect(offsets).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
    for (let i = 0; i < 30; i++) {
      const m = seen.find((x) => x.partition === sent[i]!.partition && x.offset === sent[i]!.offset)!;
      const input = messages[i]!;
      expect(m.keyString()).toBe(input.key);
      expect(m.valueString()).toBe(input.value);
      expect(m.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString()])).toEqual(
        (input.headers ?? []).map((h) => [h.key, h.value]),
      );
    }
  });

  it('starts at the log end by default and long-polls: a parked fetch wakes when data arrives', async () => {
    const topic = await topicWith(1, 'cons-longpoll');
    await producer.send({ topic, messages: [{ value: 'old' }] });
    // maxWaitMs far beyond the test timeout: the message can only arrive because the broker
    // wakes the parked fetch.
    const consumer = strata.consumer({ maxWaitMs: 60_000 });
    await consumer.connect();
    let reset = false;
    let fetches = 0;
    consumer.on('consumer.offset_reset', (e) => {
      reset = e.payload.offset === 1;
    });
    consumer.on('connection.request', (e) => {
      if (e.payload.apiName === 'Fetch') fetches++;
    });
    try {
      consumer.assign([{ topic, partition: 0 }]);
      const received = take(consumer, 1);
      await until(() => reset, 'the offset reset to the log end');
      await producer.send({ topic, messages: [{ value: 'new' }] });
      const [m] = await received;
      expect(m!.valueString()).toBe('new');
      expect(m!.offset).toBe(1);
      expect(fetches).toBe(1);
    } finally {
      await consumer.disconnect();
    }
  });

  it('follows autoOffsetReset when the position is out of range', async () => {
    const topic = await topicWith(1, 'cons-oor');
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });

    const earliest = strata.consumer({ maxWaitMs: 50, autoOffsetReset: 'earliest' });
    await earliest.connect();
    earliest.assign([{ topic, partition: 0, offset: 1000 }]);
    expect((await take(earliest, 3)).map((m) => m.valueString())).toEqual(['a', 'b', 'c']);
    await earliest.disconnect();

    const latest = strata.consumer({ maxWaitMs: 50, autoOffsetReset: 'latest' });
    await latest.connect();
    let resetTo = -1;
    latest.on('consumer.offset_reset', (e) => {
      resetTo = e.payload.offset;
    });
    latest.assign([{ topic, partition: 0, offset: 1000 }]);
    const next = take(latest, 1);
    await until(() => resetTo === 3, 'the reset to the log end');
    await producer.send({ topic, messages: [{ value: 'd' }] });
    expect((await next)[0]!.valueString()).toBe('d');
    await latest.disconnect();

    const none = strata.consumer({ maxWaitMs: 50, autoOffsetReset: 'none' });
    await none.connect();
    const crashes: Error[] = [];
    none.on('consumer.crash', (e) => crashes.push(e.payload.error));
    none.assign([{ topic, partition: 0, offset: 1000 }]);
    const error = await take(none, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(crashes).toHaveLength(1);
    await none.disconnect();
  });

  it('seeks back and delivers again from the new offset', async () => {
    const topic = await topicWith(1, 'cons-seek');
    await producer.send({ topic, messages: ['a', 'b', 'c', 'd'].map((value) => ({ value })) });
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      const got: string[] = [];
      for await (const m of consumer) {
        got.push(m.valueString()!);
        if (got.length === 3) consumer.seek({ topic, partition: 0, offset: 1 });
        if (got.length === 6) break;
      }
      expect(got).toEqual(['a', 'b', 'c', 'b', 'c', 'd']);
      expect(consumer.position(topic, 0)).toBe(4);
    } finally {
      await consumer.disconnect();
    }
  });

  it('pauses and resumes partitions', async () => {
    const topic = await topicWith(2, 'cons-pause');
    await producer.send({ topic, messages: [{ value: 'p0-a', partition: 0 }, { value: 'p1-a', partition: 1 }] });
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([0, 1].map((partition) => ({ topic, partition, fromBeginning: true })));
      consumer.pause([{ topic, partitions: [0] }]);
      expect(consumer.paused()).toEqual([{ topic, partition: 0 }]);
      const first = await take(consumer, 1);
      expect(first.map((m) => m.valueString())).toEqual(['p1-a']);
      await producer.send({ topic, messages: [{ value: 'p1-b', partition: 1 }] });
      expect((await take(consumer, 1)).map((m) => m.valueString())).toEqual(['p1-b']);
      consumer.resume([{ topic }]);
      expect((await take(consumer, 1)).map((m) => m.valueString())).toEqual(['p0-a']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('pausing from eachMessage keeps the handled message processed and delivers the rest after resume', async () => {
    const topic = await topicWith(1, 'cons-pause-run');
    await producer.send({ topic, messages: ['a', 'b', 'c', 'd'].map((value) => ({ value })) });
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    const seen: string[] = [];
    let resume: (() => void) | null = null;
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      await consumer.run({
        eachMessage: ({ message, pause }) => {
          seen.push(message.valueString()!);
          if (message.valueString() === 'b') resume = pause();
        },
      });
      await until(() => resume !== null, 'the pause');
      await until(() => consumer.position(topic, 0) === 2, 'the position after b');
      expect(seen).toEqual(['a', 'b']);
      expect(consumer.paused()).toEqual([{ topic, partition: 0 }]);
      resume!();
      await until(() => seen.length >= 4, 'the rest after resume');
      expect(seen).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('redelivers a batch whose eachBatch handler failed, honouring resolveOffset', async () => {
    const topic = await topicWith(1, 'cons-retry');
    await producer.send({ topic, messages: ['a', 'b', 'c', 'd'].map((value) => ({ value })) });
    const consumer = strata.consumer({ maxWaitMs: 50, retry: { initialRetryTimeMs: 1, maxRetryTimeMs: 5 } });
    await consumer.connect();
    const delivered: string[][] = [];
    let failed = false;
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      await consumer.run({
        eachBatch: async ({ batch, resolveOffset }) => {
          delivered.push(batch.messages.map((m) => m.valueString()!));
          if (!failed) {
            failed = true;
            resolveOffset(batch.messages[1]!.offset);
            throw new Error('handler failure');
          }
        },
      });
      await until(() => delivered.length >= 2, 'the redelivery');
      expect(delivered[0]).toEqual(['a', 'b', 'c', 'd']);
      expect(delivered[1]).toEqual(['c', 'd']);
      await until(() => consumer.position(topic, 0) === 4, 'the position after the batch');
    } finally {
      await consumer.disconnect();
    }
  });

  it('applies back-pressure: fetching stops while the buffer is full', async () => {
    const topic = await topicWith(1, 'cons-bp');
    const value = 'x'.repeat(200);
    for (let i = 0; i < 50; i++) await producer.send({ topic, messages: [{ value }] }); // 50 batches
    const consumer = strata.consumer({ maxWaitMs: 50, maxBytesPerPartition: 300, maxBufferedBytes: 1 });
    await consumer.connect();
    let dataFetches = 0;
    consumer.on('consumer.fetch', (e) => {
      if (e.payload.bytes > 0) dataFetches++;
    });
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      const iterator = consumer[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.offset).toBe(0);
      // Hold the iterator: the fetcher may fill the buffer once more, then must stop.
      await until(() => dataFetches >= 2, 'the prefetch');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(dataFetches).toBe(2);
      let last = 0;
      for (let i = 1; i < 50; i++) last = (await iterator.next()).value!.offset;
      expect(last).toBe(49);
      await iterator.return!();
    } finally {
      await consumer.disconnect();
    }
  });

  it('iterates batches and resumes at the position after stop()', async () => {
    const topic = await topicWith(1, 'cons-batches');
    await producer.send({ topic, messages: ['a', 'b'].map((value) => ({ value })) });
    await producer.send({ topic, messages: ['c'].map((value) => ({ value })) });
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      const seen: string[] = [];
      for await (const batch of consumer.batches()) {
        expect(batch.topic).toBe(topic);
        seen.push(...batch.messages.map((m) => m.valueString()!));
        if (seen.length >= 1) break;
      }
      const position = consumer.position(topic, 0)!;
      expect(position).toBe(seen.length);
      await producer.send({ topic, messages: [{ value: 'd' }] });
      const rest = await take(consumer, 4 - seen.length);
      expect([...seen, ...rest.map((m) => m.valueString())]).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('decompresses gzip batches stored by the broker', async () => {
    const topic = await topicWith(1, 'cons-gzip');
    const gzip = platformGzip()!;
    const builder = new RecordBatchBuilder();
    for (let i = 0; i < 20; i++) builder.append({ key: `k${i}`, value: 'compressible '.repeat(20), headers: [{ key: 'i', value: String(i) }] });
    const batch = builder.buildCompressed(await gzip.compress(builder.recordsSection()), CompressionCodec.Gzip);
    const { connection } = makeConnection(broker.url);
    await connection.connect();
    try {
      const response = await connection.request('Produce', { acks: 1, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partition: 0, records: batch }] }] });
      expect(response.topics[0]!.partitions[0]!.errorCode).toBe(0);
    } finally {
      connection.close();
    }
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      const messages = await take(consumer, 20);
      expect(messages.map((m) => [m.offset, m.keyString(), m.headerString('i')])).toEqual(Array.from({ length: 20 }, (_, i) => [i, `k${i}`, String(i)]));
      expect(messages[19]!.valueString()).toBe('compressible '.repeat(20));
    } finally {
      await consumer.disconnect();
    }
  });

  it('ends a running iteration on stop() and continues from the position in the next one', async () => {
    const topic = await topicWith(1, 'cons-stop-iter');
    await producer.send({ topic, messages: ['a', 'b', 'c'].map((value) => ({ value })) });
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([{ topic, partition: 0, fromBeginning: true }]);
      const first: string[] = [];
      for await (const m of consumer) {
        first.push(m.valueString()!);
        if (first.length === 1) await consumer.stop();
      }
      expect(first).toEqual(['a']);
      expect((await take(consumer, 2)).map((m) => m.valueString())).toEqual(['b', 'c']);
    } finally {
      await consumer.disconnect();
    }
  });

  it('allows only one way of consuming at a time', async () => {
    const topic = await topicWith(1, 'cons-mode');
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([{ topic, partition: 0 }]);
      await consumer.run({ eachMessage: () => undefined });
      expect(() => consumer[Symbol.asyncIterator]()).toThrow(/already consuming/);
      await consumer.stop();
      const it = consumer.batches();
      await it.return!();
    } finally {
      await consumer.disconnect();
    }
  });
});
