/**
 * Received keys, values and header values are Buffers from the Node entry (so the KafkaJS habit
 * `JSON.parse(message.value.toString())` works) and plain Uint8Arrays from the browser entry; in
 * both cases views over the fetched bytes, not copies.
 */
import { Buffer } from 'node:buffer';
import { Strata as BrowserStrata } from '../src/browser';
import { silentLogger, wsTransport } from '../src';
import { take } from './helpers/collect';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

let broker: TestBroker;
const topic = uniqueTopic('bytes');

beforeAll(async () => {
  broker = await startTestBroker();
  const strata = testClient(broker.url);
  const admin = strata.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = strata.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { key: 'k1', value: JSON.stringify({ n: 1 }), headers: { source: 'test', empty: null } },
      { key: null, value: 'two' },
    ],
  });
  await producer.disconnect();
});

afterAll(async () => {
  await broker.stop();
});

it('the Node entry delivers Buffers: value.toString() is the text', async () => {
  const consumer = testClient(broker.url).consumer();
  await consumer.connect();
  consumer.assign([{ topic, partition: 0, offset: 0 }]);
  const [first, second] = await take(consumer, 2);
  await consumer.disconnect();
  expect(Buffer.isBuffer(first!.value)).toBe(true);
  expect(Buffer.isBuffer(first!.key)).toBe(true);
  expect(Buffer.isBuffer(first!.headers[0]!.value)).toBe(true);
  expect(JSON.parse(first!.value!.toString())).toEqual({ n: 1 });
  expect(first!.key!.toString()).toBe('k1');
  expect(first!.header('source')!.toString('utf8')).toBe('test');
  expect(first!.header('empty')).toBeNull();
  expect(second!.key).toBeNull();
  expect(second!.value!.toString()).toBe('two');
  // Views of the same fetched bytes, not copies.
  expect(first!.value!.buffer).toBe(first!.key!.buffer);
  expect(second!.value!.buffer).toBe(first!.value!.buffer);
});

it('the browser entry delivers plain Uint8Array views', async () => {
  const strata = new BrowserStrata({ brokers: [broker.url], transport: wsTransport(), logger: silentLogger });
  const consumer = strata.consumer();
  await consumer.connect();
  consumer.assign([{ topic, partition: 0, offset: 0 }]);
  const [first] = await take(consumer, 1);
  await consumer.disconnect();
  expect(first!.value).toBeInstanceOf(Uint8Array);
  expect(Buffer.isBuffer(first!.value)).toBe(false);
  expect(Buffer.isBuffer(first!.headers[0]!.value)).toBe(false);
  expect(first!.valueString()).toBe('{"n":1}');
  expect(first!.value!.buffer).toBe(first!.key!.buffer);
});
