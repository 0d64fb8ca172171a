/**
 * Exactly-once delivery of an idempotent producer through faults: a proxy between producer and
 * broker drops Produce responses and closes connections at random (seeded); 100,000 keyed messages
 * go out; afterwards the log holds each exactly once, in per-partition send order. A variant also
 * restarts the broker (same port and data folder) during the run.
 */
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';
import type { ProducerMessage, Strata } from '../src';

const TOTAL = 100_000;
const PER_SEND = 500;
const PARTITIONS = 4;
const dec = new TextDecoder();

interface RunResult {
  faults: FaultProxy['stats'];
  epochs: number;
}

async function produceThroughFaults(broker: TestBroker, proxy: FaultProxy, restartAt: number | null): Promise<{ topic: string; strata: Strata } & RunResult> {
  const strata = testClient(broker.url);
  const admin = strata.admin();
  await admin.connect();
  const topic = uniqueTopic('exactly-once');
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();

  proxy.setFaults(0.05, 0.03);
  const faulty = testClient(proxy.url, { requestTimeoutMs: 400, retry: { initialRetryTimeMs: 10, maxRetryTimeMs: 200, retries: 50 } });
  const producer = faulty.producer({ lingerMs: 2, batchSize: 4096, timeoutMs: 300, deliveryTimeoutMs: 60_000 });
  let epochs = 0;
  producer.on('producer.epoch', () => epochs++);
  await producer.connect();
  try {
    const sends: Array<Promise<unknown>> = [];
    let restarted: Promise<void> | null = null;
    for (let start = 0; start < TOTAL; start += PER_SEND) {
      const messages: ProducerMessage[] = [];
      for (let i = start; i < start + PER_SEND; i++) messages.push({ key: `key-${i % 997}`, value: String(i) });
      sends.push(producer.send({ topic, messages }));
      if (restartAt !== null && start === restartAt) restarted = broker.restart();
      // Keep a bounded number of sends in flight, like an application would.
      if (sends.length >= 16) await sends.shift();
    }
    await Promise.all(sends);
    await restarted;
  } finally {
    await producer.disconnect();
    proxy.setFaults(0, 0);
  }
  return { topic, strata, faults: { ...proxy.stats }, epochs };
}

async function readLog(strata: Strata, topic: string): Promise<Map<number, number[]>> {
  const consumer = strata.consumer({ maxWaitMs: 50, maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, fromBeginning: true })));
  const byPartition = new Map<number, number[]>();
  let n = 0;
  try {
    for await (const batch of consumer.batches()) {
      let list = byPartition.get(batch.partition);
      if (!list) byPartition.set(batch.partition, (list = []));
      for (const m of batch.messages) list.push(Number(dec.decode(m.value!)));
      n += batch.messages.length;
      if (n >= TOTAL) break;
    }
    // Anything beyond TOTAL would be a duplicate: give it a moment to show up.
    const admin = strata.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const high = offsets.reduce((sum, o) => sum + o.high, 0);
    expect(high).toBe(TOTAL);
  } finally {
    await consumer.disconnect();
  }
  return byPartition;
}

function expectExactlyOnceInOrder(byPartition: Map<number, number[]>): void {
  const seen = new Uint8Array(TOTAL);
  for (const values of byPartition.values()) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      seen[v]!++;
      // Messages of a partition were sent in increasing order: the log keeps that order.
      if (i > 0 && values[i - 1]! >= v) throw new Error(`partition order broken: ${values[i - 1]} before ${v}`);
    }
  }
  const missing = seen.findIndex((c) => c !== 1);
  expect(missing).toBe(-1);
}

describe('idempotent producer through a faulty network', () => {
  let broker: TestBroker;
  let proxy: FaultProxy;

  beforeEach(async () => {
    proxy = await startFaultProxy({ seed: 0x5eed });
    broker = await startTestBroker({ durability: 'async', 'advertised.url': proxy.url });
    proxy.setTarget(`ws://127.0.0.1:${broker.broker.port}`);
  });
  afterEach(async () => {
    await proxy.close();
    await broker.stop();
  });

  it('writes 100,000 keyed messages exactly once, in per-partition order, while responses are dropped and connections closed', async () => {
    const { topic, strata, faults } = await produceThroughFaults(broker, proxy, null);
    expect(faults.dropped).toBeGreaterThan(0);
    expect(faults.closed).toBeGreaterThan(0);
    expectExactlyOnceInOrder(await readLog(strata, topic));
  }, 30_000);

  it('does the same across a broker restart in the middle of the run', async () => {
    const { topic, strata, faults } = await produceThroughFaults(broker, proxy, TOTAL / 2);
    expect(faults.dropped + faults.closed).toBeGreaterThan(0);
    expectExactlyOnceInOrder(await readLog(strata, topic));
  }, 30_000);
});
