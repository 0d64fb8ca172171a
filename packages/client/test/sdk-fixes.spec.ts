/**
 * Regression tests for SDK bugs found while building the CLI: timers a caller awaits keep Node
 * alive; an iteration stopped while its next() was in progress ends instead of hanging; admin
 * errors do not name the topic twice; string accessors keep a leading BOM.
 */
import { createServer } from 'node:net';
import { ConsumerMessage, Strata, type Logger } from '../src';
import { rejectionOf } from './helpers/connections';
import { until } from './helpers/collect';
import { startFrameServer } from './helpers/frame-server';
import { ManualClock } from './helpers/manual-clock';
import { makeConnection } from './helpers/connections';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

/** The Node timers created with `setTimeout(_, ms)` since `spy` was installed. */
function timersOf(spy: jest.SpyInstance, ms: number): NodeJS.Timeout[] {
  return spy.mock.calls.flatMap((call, i) => (call[1] === ms ? [spy.mock.results[i]!.value as NodeJS.Timeout] : []));
}

function refusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      if (address === null || typeof address === 'string') throw new Error('unexpected address');
      srv.close(() => resolve(address.port));
    });
  });
}

describe('timers a caller awaits keep the process alive', () => {
  afterEach(() => jest.restoreAllMocks());

  it('a connect() retrying against a refused port holds a referenced timer during its backoff; disconnect() ends it at once', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined };
    const port = await refusedPort();
    const admin = new Strata({ brokers: [`ws://127.0.0.1:${port}`], logger, retry: { retries: 3, initialRetryTimeMs: 4_321, maxRetryTimeMs: 4_321, factor: 0 } }).admin();
    const spy = jest.spyOn(global, 'setTimeout');
    const connecting = admin.connect();
    const failure = rejectionOf(connecting);
    await until(() => warnings.some((w) => w.includes('retrying in 4321 ms')), 'the first retry backoff');
    const backoff = timersOf(spy, 4_321);
    expect(backoff).toHaveLength(1);
    // Before the fix this timer was unref'd: a script awaiting connect() exited 0 right here.
    expect(backoff[0]!.hasRef()).toBe(true);
    await admin.disconnect();
    expect(await failure).toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('disconnect() ends a connect() that waits in a retry backoff, without waiting for the backoff', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined };
    const clock = new ManualClock(); // time never moves: only disconnect() can end the backoff
    const admin = new Strata({ brokers: [`ws://127.0.0.1:${await refusedPort()}`], logger, clock, retry: { retries: 3 } }).admin();
    const failure = rejectionOf(admin.connect());
    await until(() => warnings.some((w) => w.includes('retrying in')), 'the first retry backoff');
    await admin.disconnect();
    expect(await failure).toMatchObject({ code: 'CLIENT_CLOSED', message: expect.stringMatching(/disconnected while connecting/) });
    expect(clock.pending).toBe(0);
  });

  it('a pending request holds a referenced timeout timer', async () => {
    const server = await startFrameServer(); // answers the handshake, never a request
    const { connection } = makeConnection(server.url, { requestTimeoutMs: 43_210 });
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      await connection.connect();
      const pending = connection.request('Metadata', { topics: [], allTopics: true });
      await server.waitForRequests(2);
      const timeout = timersOf(spy, 43_210);
      expect(timeout).toHaveLength(1);
      expect(timeout[0]!.hasRef()).toBe(true);
      server.respond(server.received[1]!, 'Metadata', { brokers: [], topics: [], controllerId: -1 });
      await pending;
    } finally {
      connection.close();
      await server.close();
    }
  });
});

describe('against a broker', () => {
  let broker: TestBroker;
  let strata: Strata;
  beforeAll(async () => {
    broker = await startTestBroker({ durability: 'async' });
    strata = testClient(broker.url);
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('a batches() iteration stopped while its next() is in progress ends that next() with done', async () => {
    const admin = strata.admin();
    await admin.connect();
    const topic = uniqueTopic('stop-mid-next');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    const producer = strata.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
    await producer.disconnect();
    const consumer = strata.consumer({ maxWaitMs: 50 });
    await consumer.connect();
    try {
      consumer.assign([0, 1].map((partition) => ({ topic, partition, fromBeginning: true })));
      const batches = consumer.batches();
      let first = await batches.next();
      // Both partitions' data must be fetched before the second next(): wait for the other batch.
      while (!first.done && first.value.messages.length === 0) first = await batches.next();
      await until(() => consumer.position(topic, 0) !== null && consumer.position(topic, 1) !== null, 'both positions');
      const second = batches.next(); // takes buffered data, then decodes it (not waiting on the buffer)
      await consumer.stop();
      let guard: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([second, new Promise<'hang'>((resolve) => (guard = setTimeout(() => resolve('hang'), 5_000)))]);
      clearTimeout(guard);
      expect(outcome).not.toBe('hang');
      expect((await batches.next()).done).toBe(true);
    } finally {
      await consumer.disconnect();
    }
  });

  it('admin errors name the topic once when the broker message already does', async () => {
    const admin = strata.admin();
    await admin.connect();
    try {
      const topic = uniqueTopic('twice');
      await admin.createTopics({ topics: [{ topic }] });
      const error = await rejectionOf(admin.createTopics({ topics: [{ topic }] }));
      expect(error).toMatchObject({ code: 'TOPIC_ALREADY_EXISTS', message: `topic "${topic}" already exists` });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('ConsumerMessage string accessors', () => {
  it('keep a leading byte order mark (it is data, not a marker)', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    const message = new ConsumerMessage('t', 0, 0, 0, bytes('\uFEFFkey'), bytes('\uFEFFvalue'), [{ key: 'h', value: bytes('\uFEFFheader') }]);
    expect(message.keyString()).toBe('\uFEFFkey');
    expect(message.valueString()).toBe('\uFEFFvalue');
    expect(message.headerString('h')).toBe('\uFEFFheader');
  });
});
