/**
 * What the issue found silently accepted is honoured or refused by name through
 * @strata/client/kafkajs, against a real in-process broker: run({ autoCommit: false }) commits
 * nothing, send({ compression }) compresses, unknown event names / options throw, logLevel and
 * logCreator work, Strata errors arrive as KafkaJS error classes.
 */
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSProtocolError,
  logLevel,
  type KafkaMessage,
  type LogEntry,
} from '../../src/kafkajs';
import { brokerUrl } from '../../src/kafkajs/kafka';
import { startTestBroker, uniqueTopic, type TestBroker } from '../helpers/test-broker';

let broker: TestBroker;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startTestBroker({ 'auto.create.topics.enable': true, 'group.consumer.heartbeat.interval.ms': 500 });
  kafka = new Kafka({ brokers: [new URL(broker.url).host], clientId: 'compat-test', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 20, maxRetryTime: 200 } });
});

afterAll(async () => {
  await broker.stop();
});

async function consumeAll(groupId: string, topic: string, count: number, run: { autoCommit?: boolean } = {}): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: KafkaMessage[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      ...run,
      eachMessage: async ({ message }) => {
        got.push(message);
        if (got.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return got;
}

async function committed(groupId: string, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return t!.partitions.map((p) => p.offset);
}

async function produce(topic: string, values: string[], compression?: CompressionTypes): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })), ...(compression !== undefined ? { compression } : {}) });
  await producer.disconnect();
}

describe('consumer', () => {
  it('run({ autoCommit: false }) commits nothing; autoCommit (the default) commits what was processed', async () => {
    const topic = uniqueTopic('no-commit');
    await produce(topic, ['a', 'b', 'c']);
    await consumeAll('manual', topic, 3, { autoCommit: false });
    expect(await committed('manual', topic)).toEqual(['-1']);
    await consumeAll('auto', topic, 3);
    expect(await committed('auto', topic)).toEqual(['3']);
  });

  it('subscribe({ topic }) (the singular form) works; a subscription without topics throws naming it', async () => {
    const topic = uniqueTopic('singular');
    await produce(topic, ['x']);
    const consumer = kafka.consumer({ groupId: 'singular' });
    await expect(consumer.subscribe({} as never)).rejects.toMatchObject({ name: 'KafkaJSNonRetriableError', option: 'subscribe.topics' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const value = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
    await consumer.disconnect();
    expect(value).toBe('x');
  });

  it('refuses unknown event names, non-function listeners and events it cannot produce', () => {
    const consumer = kafka.consumer({ groupId: 'events' });
    expect(() => consumer.on(undefined as never, () => undefined)).toThrow(KafkaJSNonRetriableError);
    expect(() => consumer.on('consumer.no_such_event', () => undefined)).toThrow(/Event name should be one of/);
    expect(() => consumer.on(consumer.events.HEARTBEAT, 'not a function' as never)).toThrow(/must be a function/);
    expect(() => consumer.on(consumer.events.REQUEST_QUEUE_SIZE, () => undefined)).toThrow(KafkaJSNotImplemented);
    const off = consumer.on(consumer.events.HEARTBEAT, () => undefined);
    expect(typeof off).toBe('function');
  });

  it('emits KafkaJS events with KafkaJS payloads (string offsets, duration)', async () => {
    const topic = uniqueTopic('events');
    await produce(topic, ['1', '2']);
    const consumer = kafka.consumer({ groupId: 'events-payloads' });
    const starts: unknown[] = [];
    const commits: unknown[] = [];
    consumer.on(consumer.events.START_BATCH_PROCESS, (e) => starts.push(e.payload));
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(e.payload));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      let n = 0;
      void consumer.run({ eachMessage: async () => void (++n === 2 && resolve()) });
    });
    await consumer.disconnect();
    expect(starts[0]).toMatchObject({ topic, partition: 0, firstOffset: '0', highWatermark: '2' });
    expect(commits).toContainEqual(expect.objectContaining({ groupId: 'events-payloads', topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] }));
  });

  it('after a crash, restarts consumption when retry.restartOnFailure says so (the CRASH event tells)', async () => {
    const topic = uniqueTopic('restart');
    await produce(topic, ['poison', 'fine']);
    const asked: string[] = [];
    const consumer = kafka.consumer({
      groupId: 'restarts',
      retry: { retries: 0, initialRetryTime: 10, restartOnFailure: async (e) => (asked.push(e.name), true) },
    });
    const crashes: Array<{ restart: boolean; error: Error }> = [];
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload as { restart: boolean; error: Error }));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let failed = false;
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (!failed) {
            failed = true;
            throw new Error('handler failed once');
          }
          seen.push(message.value!.toString());
          if (seen.length === 2) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(asked).toEqual(['KafkaJSNumberOfRetriesExceeded']);
    expect(crashes).toEqual([expect.objectContaining({ restart: true, error: expect.objectContaining({ name: 'KafkaJSNumberOfRetriesExceeded' }) })]);
    expect(seen).toEqual(['poison', 'fine']); // the failed message came again after the restart
  });

  it('refuses consumer options it cannot honour, by name', () => {
    expect(() => kafka.consumer({ groupId: 'g', rackId: 'eu-1' })).toThrow(expect.objectContaining({ name: 'KafkaJSNotImplemented', option: 'consumer.rackId' }));
    expect(() => kafka.consumer({ groupId: 'g', partitionAssigners: [() => ({})] })).toThrow(expect.objectContaining({ option: 'consumer.partitionAssigners' }));
    expect(() => kafka.consumer({ groupId: 'g', sessionTimout: 1 } as never)).toThrow(expect.objectContaining({ option: 'consumer.sessionTimout' }));
    expect(() => kafka.consumer({} as never)).toThrow(expect.objectContaining({ option: 'consumer.groupId' }));
  });

  it('refuses a misspelt run() option instead of ignoring it', async () => {
    const consumer = kafka.consumer({ groupId: 'typo' });
    await expect(consumer.run({ autoComit: false, eachMessage: async () => undefined } as never)).rejects.toMatchObject({ option: 'run.autoComit' });
  });
});

describe('producer', () => {
  it('send({ compression }) compresses with that codec (a codec registered the KafkaJS way is called)', async () => {
    const calls: string[] = [];
    // A codec registered the way kafkajs-snappy registers itself (the broker checks inside every
    // batch, so it must be real snappy: lz4 batches are refused, see docs/producer.md).
    const { compressSync, uncompressSync } = await import('snappy');
    const builtIn = CompressionCodecs[CompressionTypes.Snappy];
    CompressionCodecs[CompressionTypes.Snappy] = () => ({
      compress: async ({ buffer }) => (calls.push('compress'), compressSync(buffer)),
      decompress: async (buffer) => {
        calls.push('decompress');
        const out = uncompressSync(buffer);
        if (typeof out === 'string') throw new Error('expected bytes');
        return out;
      },
    });
    try {
      const topic = uniqueTopic('snappy-codec');
      const values = ['one'.repeat(500), 'two'.repeat(500)];
      await produce(topic, values, CompressionTypes.Snappy);
      const got = await consumeAll('snappy-codec', topic, 2);
      expect(got.map((m) => m.value!.toString())).toEqual(values);
      expect(calls).toEqual(expect.arrayContaining(['compress', 'decompress']));
    } finally {
      CompressionCodecs[CompressionTypes.Snappy] = builtIn;
    }
  });

  it('GZIP batches arrive compressed at the broker', async () => {
    const topic = uniqueTopic('gzip');
    await produce(topic, ['a'.repeat(100_000)], CompressionTypes.GZIP);
    const metrics = await broker.broker.metrics.registry.getSingleMetricAsString('strata_bytes_in_total');
    const bytes = Number(new RegExp(`topic="${topic}"} (\\d+)`).exec(metrics)![1]);
    expect(bytes).toBeLessThan(5_000);
  });

  it('refuses an unknown compression, a misspelt option and transactions', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await expect(producer.send({ topic: 't', messages: [{ value: 'x' }], compression: 9 as never })).rejects.toMatchObject({ option: 'send.compression' });
    await expect(producer.send({ topic: 't', messages: [{ value: 'x' }], compresion: 1 } as never)).rejects.toMatchObject({ option: 'send.compresion' });
    await expect(producer.transaction()).rejects.toBeInstanceOf(KafkaJSNotImplemented);
    await producer.disconnect();
    expect(() => kafka.producer({ transactionalId: 'tx' })).toThrow(expect.objectContaining({ option: 'producer.transactionalId' }));
  });
});

describe('client configuration', () => {
  it('maps brokers as KafkaJS writes them to WebSocket URLs', () => {
    expect(brokerUrl('localhost:9092', false, 0)).toBe('ws://localhost:9092');
    expect(brokerUrl('kafka1:9093', true, 0)).toBe('wss://kafka1:9093');
    expect(brokerUrl('ws://127.0.0.1:9092', false, 0)).toBe('ws://127.0.0.1:9092');
    expect(() => brokerUrl('http://h:1', false, 0)).toThrow(expect.objectContaining({ option: 'brokers[0]' }));
    expect(() => brokerUrl('ws://h:1', true, 0)).toThrow(/ssl is set/);
  });

  it('refuses SASL, socketFactory, a function of brokers and unknown options by name', () => {
    expect(() => new Kafka({ brokers: ['h:1'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } })).toThrow(expect.objectContaining({ name: 'KafkaJSNotImplemented', option: 'kafka.sasl' }));
    expect(() => new Kafka({ brokers: ['h:1'], socketFactory: () => undefined })).toThrow(expect.objectContaining({ option: 'kafka.socketFactory' }));
    expect(() => new Kafka({ brokers: () => ['h:1'] })).toThrow(expect.objectContaining({ option: 'kafka.brokers' }));
    expect(() => new Kafka({ brokers: ['h:1'], clientID: 'x' } as never)).toThrow(expect.objectContaining({ option: 'kafka.clientID' }));
    expect(() => new Kafka({ brokers: ['h:1'], logLevel: 3 as never })).toThrow(expect.objectContaining({ option: 'logLevel' }));
  });

  it('logCreator receives entries at logLevel and above, with namespaces, including the SDK’s own lines', async () => {
    const entries: LogEntry[] = [];
    const k = new Kafka({ brokers: [new URL(broker.url).host], logLevel: logLevel.DEBUG, logCreator: () => (entry) => entries.push(entry) });
    k.logger().info('hello', { extra: 1 });
    k.logger().namespace('Mine', logLevel.ERROR).warn('filtered out');
    // The SDK warns while it cannot reach a broker: the line arrives in the Admin namespace.
    const unreachable = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.WARN, retry: { retries: 1, initialRetryTime: 10 }, logCreator: () => (entry) => entries.push(entry) });
    await expect(unreachable.admin().connect()).rejects.toBeInstanceOf(KafkaJSConnectionError);
    expect(entries[0]).toMatchObject({ namespace: '', level: logLevel.INFO, label: 'INFO', log: { message: 'hello', extra: 1 } });
    expect(entries.some((e) => e.log.message === 'filtered out')).toBe(false);
    expect(entries).toContainEqual(expect.objectContaining({ namespace: 'Admin', level: logLevel.WARN, log: expect.objectContaining({ message: expect.stringMatching(/cannot reach any broker/) }) }));
    const quiet: LogEntry[] = [];
    const q = new Kafka({ brokers: ['h:1'], logLevel: logLevel.ERROR, logCreator: () => (entry) => quiet.push(entry) });
    q.logger().info('not shown');
    q.logger().error('shown');
    expect(quiet.map((e) => e.log.message)).toEqual(['shown']);
  });

  it('turns SDK errors into KafkaJS error classes with retriable', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const error = await admin.deleteTopics({ topics: [uniqueTopic('missing')] }).catch((e: unknown) => e);
    await admin.disconnect();
    expect(error).toBeInstanceOf(KafkaJSProtocolError);
    expect(error).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: false });
    const closed = new Kafka({ brokers: [`127.0.0.1:1`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    const refused = await closed.connect().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KafkaJSConnectionError);
    expect(refused).toMatchObject({ retriable: true });
  });
});
