/**
 * Committed offsets survive `kill -9` of the broker: a group member auto-commits what it
 * processed, the broker binary is killed with SIGKILL and started again on the same data folder,
 * and a new member of the group resumes exactly at the committed offsets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers/collect';
import { BrokerBinary, freePort, killBrokerChildren } from '../helpers/broker-binary';
import { testClient } from '../helpers/test-broker';

const PARTITIONS = 3;
const PER_PARTITION = 100;
const PROCESSED = 60;

describe('committed offsets and kill -9 of the broker binary', () => {
  let dataDir: string;
  let broker: BrokerBinary;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-client-kill9-'));
    broker = new BrokerBinary(dataDir, await freePort());
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    killBrokerChildren();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a new member of the group resumes at the offsets committed before the kill', async () => {
    const strata = testClient(broker.url);
    const admin = strata.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const producer = strata.producer();
    await producer.connect();
    await producer.send({
      topic: 'orders',
      messages: Array.from({ length: PARTITIONS * PER_PARTITION }, (_, i) => ({ value: `order-${i}`, partition: i % PARTITIONS })),
    });
    await producer.disconnect();

    // The first member processes offsets 0..59 of each partition, pauses there, and auto-commits.
    const first = strata.consumer({ groupId: 'billing', autoCommitInterval: 50, maxWaitMs: 100 });
    await first.connect();
    first.subscribe({ topics: ['orders'], fromBeginning: true });
    const committed = new Map<number, number>();
    first.on('consumer.commit', ({ payload }) => {
      for (const o of payload.offsets) committed.set(o.partition, o.offset);
    });
    await first.run({
      eachMessage: ({ message, pause }) => {
        if (message.offset === PROCESSED - 1) pause();
      },
    });
    await until(() => committed.size === PARTITIONS && [...committed.values()].every((o) => o === PROCESSED), 'offsets 60 committed on every partition', 20_000);

    await broker.kill9();
    await first.disconnect(); // its broker is gone: no final commit, no leave
    await broker.start();

    const second = testClient(broker.url).consumer({ groupId: 'billing', maxWaitMs: 100 });
    await second.connect();
    second.subscribe({ topics: ['orders'], fromBeginning: true });
    const firstOffsets = new Map<number, number>();
    let received = 0;
    await second.run({
      eachMessage: ({ partition, message }) => {
        if (!firstOffsets.has(partition)) firstOffsets.set(partition, message.offset);
        received++;
      },
    });
    try {
      await until(() => received === PARTITIONS * (PER_PARTITION - PROCESSED), 'the rest of every partition', 20_000);
      expect([...firstOffsets].sort(([a], [b]) => a - b)).toEqual(Array.from({ length: PARTITIONS }, (_, p) => [p, PROCESSED]));
    } finally {
      await second.disconnect();
    }
  });
});
