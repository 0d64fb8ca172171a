import { rmSync } from 'node:fs';
import { ErrorCode } from '@strata/protocol';
import { startBroker } from '../src';
import { testBroker } from './helpers/broker';
import { WireClient, batch, createTopic } from './helpers/wire-client';

async function send(client: WireClient, pid: number, epoch: number, seq: number, values: string[], partition = 0) {
  const records = batch(values.map((value) => ({ value })), { producerId: pid, producerEpoch: epoch, baseSequence: seq });
  const res = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: 'idem', partitions: [{ partition, records }] }] });
  return res.topics[0]!.partitions[0]!;
}

async function logEnd(client: WireClient): Promise<number> {
  const d = await client.request('DescribeTopics', { topics: ['idem'] });
  return d.topics[0]!.partitions[0]!.logEndOffset;
}

describe('idempotent producers', () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: WireClient;
  beforeEach(async () => {
    broker = await testBroker();
    client = await WireClient.connect(broker.url);
    await createTopic(client, 'idem', 2);
  });
  afterEach(async () => {
    await client.close();
    await broker.cleanup();
  });

  it('hands out distinct producer ids, and bumps epochs on request', async () => {
    const a = await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 });
    const b = await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 });
    expect(a.producerId).not.toBe(b.producerId);
    expect([a.producerEpoch, b.producerEpoch]).toEqual([0, 0]);
    const bumped = await client.request('InitProducerId', { producerId: a.producerId, producerEpoch: 0 });
    expect(bumped).toMatchObject({ producerId: a.producerId, producerEpoch: 1, errorCode: 0 });
  });

  it('acknowledges a retried batch with its original offset and writes it once', async () => {
    const { producerId } = await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 });
    expect(await send(client, producerId, 0, 0, ['a', 'b'])).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(client, producerId, 0, 2, ['c'])).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(await send(client, producerId, 0, 0, ['a', 'b'])).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(client, producerId, 0, 2, ['c'])).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(await logEnd(client)).toBe(3);
  });

  it('refuses a gap in the sequence, a fenced epoch, and an unknown producer past sequence 0', async () => {
    const { producerId } = await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 });
    await send(client, producerId, 0, 0, ['a']);
    expect((await send(client, producerId, 0, 5, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await send(client, producerId, 1, 0, ['new epoch'])).errorCode).toBe(0);
    expect((await send(client, producerId, 0, 1, ['zombie'])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await send(client, producerId, 2, 3, ['bad start'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await send(client, 987654, 0, 7, ['stranger'])).errorCode).toBe(ErrorCode.UNKNOWN_PRODUCER_ID);
    expect(await logEnd(client)).toBe(2);
  });

  it('remembers the last five batches; an older retry is reported as a duplicate, not written', async () => {
    const { producerId } = await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 });
    for (let seq = 0; seq < 7; seq++) await send(client, producerId, 0, seq, [`v${seq}`]);
    expect(await send(client, producerId, 0, 2, ['v2'])).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect((await send(client, producerId, 0, 1, ['v1'])).errorCode).toBe(ErrorCode.DUPLICATE_SEQUENCE_NUMBER);
    expect(await logEnd(client)).toBe(7);
  });

  it('keeps producer state across a clean restart and across a crash (replayed from the log)', async () => {
    const { producerId } = await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 });
    for (let seq = 0; seq < 3; seq++) await send(client, producerId, 0, seq, [`v${seq}`]);
    await client.close();
    const restarted = await broker.restart();
    let c = await WireClient.connect(restarted.url);
    expect(await send(c, producerId, 0, 2, ['v2'])).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect((await send(c, producerId, 0, 9, ['gap'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await send(c, producerId, 0, 3, ['v3'])).toMatchObject({ errorCode: 0, baseOffset: 3 });
    // A crash: the broker object is abandoned without close (no snapshot at the log end, no
    // clean-shutdown marker); a second broker on the same folder must rebuild the state.
    await c.close();
    const dataDir = restarted.dataDir;
    rmSync(`${dataDir}/.lock`, { force: true });
    const again = await startBroker({ dataDir, port: 0 });
    c = await WireClient.connect(again.url);
    expect(await send(c, producerId, 0, 3, ['v3'])).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await send(c, producerId, 0, 4, ['v4'])).toMatchObject({ errorCode: 0, baseOffset: 4 });
    await c.close();
    await again.close();
    await restarted.close().catch(() => undefined);
    client = await WireClient.connect(broker.url).catch(() => client);
  });

  it('never reuses a producer id after a restart', async () => {
    const before = new Set<number>();
    for (let i = 0; i < 50; i++) before.add((await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 })).producerId);
    await client.close();
    const restarted = await broker.restart();
    const c = await WireClient.connect(restarted.url);
    const after: number[] = [];
    for (let i = 0; i < 50; i++) after.push((await c.request('InitProducerId', { producerId: -1, producerEpoch: -1 })).producerId);
    expect(before.size).toBe(50);
    expect(new Set(after).size).toBe(50);
    expect(after.filter((id) => before.has(id))).toEqual([]);
    await c.close();
    await restarted.close();
  });

  it('hands out producer ids no client can guess from its own (hardening finding 8)', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) ids.push((await client.request('InitProducerId', { producerId: -1, producerEpoch: -1 })).producerId);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(Number.isSafeInteger(id) && id >= 0).toBe(true);
    // Sequential ids put the next one at +1: here neighbours are ~2^50 apart.
    const close = ids.slice(1).filter((id, i) => Math.abs(id - ids[i]!) < 1_000_000);
    expect(close).toEqual([]);
    // Fencing a guessed id: the guess of "my id + 1" is not another producer's id.
    expect(ids.some((id) => ids.includes(id + 1))).toBe(false);
  });
});

describe('internal topics (hardening finding 8)', () => {
  it('refuses client changes to the settings of __consumer_offsets and its deletion', async () => {
    const broker = await testBroker();
    const client = await WireClient.connect(broker.url);
    try {
      const alter = await client.request('AlterTopicConfigs', { topics: [{ name: '__consumer_offsets', configs: [{ name: 'retention.ms', value: '1', operation: 0 }] }], validateOnly: false });
      expect(alter.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
      expect(alter.topics[0]!.errorMessage).toMatch(/internal topic/);
      const desc = await client.request('DescribeTopics', { topics: ['__consumer_offsets'], includeConfigs: true });
      expect(desc.topics[0]!.configs.find((c) => c.name === 'retention.ms')?.isDefault).toBe(true);
      const del = await client.request('DeleteTopics', { names: ['__consumer_offsets'], timeoutMs: 1000 });
      expect(del.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
    } finally {
      await client.close();
      await broker.cleanup();
    }
  });
});
