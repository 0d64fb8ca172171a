/**
 * Adaptive batching, against a real broker: a send() to a broker with nothing outstanding goes at
 * once (the client's clock is a ManualClock that is never advanced, so no timer can have fired);
 * while a request is outstanding, records accumulate and go when it returns, in a batch that grew
 * past its initial size; lingerMs > 0 still holds a batch for its timer; growing batches stay
 * within bufferMemory.
 */
import type { Admin, Producer, Strata } from '../src';
import { INITIAL_BATCH_BYTES } from '../src/producer/record-accumulator';
import { ManualClock } from './helpers/manual-clock';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

describe('Producer adaptive batching', () => {
  let broker: TestBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startTestBroker({ durability: 'async' });
    admin = testClient(broker.url).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.stop();
  });

  async function topic(partitions = 1): Promise<string> {
    const name = uniqueTopic('adaptive');
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }] });
    return name;
  }

  /** A producer on a client whose clock only moves when the test advances it. */
  async function manualProducer(options: Parameters<Strata['producer']>[0] = {}): Promise<{ p: Producer; clock: ManualClock; requests: Array<{ records: number; bytes: number }> }> {
    const clock = new ManualClock();
    const p = testClient(broker.url, { clock }).producer(options);
    const requests: Array<{ records: number; bytes: number }> = [];
    p.on('producer.request', (e) => requests.push({ records: e.payload.records, bytes: e.payload.bytes }));
    await p.connect();
    return { p, clock, requests };
  }

  it('a lone send() with default options completes without any timer firing', async () => {
    const t = await topic();
    const { p, requests } = await manualProducer();
    // The clock is never advanced: a linger timer would keep this send() waiting forever.
    expect(await p.send({ topic: t, messages: [{ value: 'alone' }] })).toEqual([{ topic: t, partition: 0, offset: 0 }]);
    expect(await p.send({ topic: t, messages: [{ value: 'again' }] })).toEqual([{ topic: t, partition: 0, offset: 1 }]);
    expect(requests).toEqual([expect.objectContaining({ records: 1 }), expect.objectContaining({ records: 1 })]);
    await p.disconnect();
  });

  it('1,000 concurrent single-record sends go out together, in call order, without a timer', async () => {
    const t = await topic();
    const { p, requests } = await manualProducer({ acks: 1 });
    await p.send({ topic: t, messages: [{ value: 'warm-up' }] }); // metadata cached
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => p.send({ topic: t, messages: [{ value: `m${i}` }] })));
    expect(results.map((r) => r[0]!.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(requests.map((r) => r.records)).toEqual([1, 1000]);
    await p.disconnect();
  });

  it('while a request is outstanding, records accumulate in a growing batch that goes when it returns', async () => {
    const t = await topic();
    const { p, requests } = await manualProducer();
    await p.send({ topic: t, messages: [{ value: 'warm-up' }] }); // connections open, metadata cached
    const first = p.send({ topic: t, messages: [{ value: 'first' }] });
    // The sender runs in the microtask queued by that send(): its request is now outstanding, and its
    // response cannot arrive before this test yields to I/O.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    const value = new Uint8Array(1000).fill(7);
    const later = Array.from({ length: 100 }, () => p.send({ topic: t, messages: [{ value }] }));
    await first;
    const results = await Promise.all(later);
    expect(results.map((r) => r[0]!.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    // Three requests: warm-up, first, then the hundred together in one batch that outgrew its initial buffer.
    expect(requests.map((r) => r.records)).toEqual([1, 1, 100]);
    expect(requests[2]!.bytes).toBeGreaterThan(INITIAL_BATCH_BYTES);
    await p.disconnect();
  });

  it('lingerMs > 0 holds a batch that is not full until its timer fires', async () => {
    const t = await topic();
    const { p, clock, requests } = await manualProducer({ lingerMs: 50 });
    // Warm-up: the topic's metadata (its leader may need a retry backoff on this clock), one batch.
    let warm = false;
    const warmUp = p.send({ topic: t, messages: [{ value: 'warm-up' }] }).then(() => (warm = true));
    while (!warm) {
      await admin.listTopics(); // a round trip to the broker
      clock.advance(50);
    }
    await warmUp;
    let settled = false;
    const send = p.send({ topic: t, messages: [{ value: 'waits' }] }).then((r) => {
      settled = true;
      return r;
    });
    await admin.listTopics(); // time for a request to have gone and come back
    clock.advance(49);
    await admin.listTopics();
    expect(settled).toBe(false);
    expect(requests.map((r) => r.records)).toEqual([1]);
    clock.advance(1);
    expect(await send).toEqual([{ topic: t, partition: 0, offset: 1 }]);
    expect(requests.map((r) => r.records)).toEqual([1, 1]);
    await p.disconnect();
  });

  it('batches grow with load and the producer still holds at most bufferMemory', async () => {
    const t = await topic(2);
    const bufferMemory = 128 * 1024;
    const p = testClient(broker.url).producer({ bufferMemory });
    let peak = 0;
    let largest = 0;
    const sample = (): void => {
      peak = Math.max(peak, p.metrics().bufferedBytes);
    };
    p.on('producer.request', (e) => {
      sample();
      largest = Math.max(largest, e.payload.bytes);
    });
    await p.connect();
    const value = new Uint8Array(100);
    // ~20 MB of batches handed over without waiting: 150 times the buffer.
    const sends = Array.from({ length: 2000 }, (_, i) =>
      p.send({ topic: t, messages: Array.from({ length: 100 }, () => ({ value, partition: i % 2 })) }).then((r) => {
        sample();
        return r;
      }),
    );
    sample();
    const results = await Promise.all(sends);
    await p.disconnect();
    expect(results.flat()).toHaveLength(200_000);
    expect(peak).toBeGreaterThan(bufferMemory / 2);
    expect(peak).toBeLessThanOrEqual(bufferMemory);
    expect(largest).toBeGreaterThan(INITIAL_BATCH_BYTES);
  }, 60_000);
});
