import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@strata/protocol';
import { Broker, ManualClock } from '../src';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

async function describe1(client: WireClient, topic: string) {
  const d = await client.request('DescribeTopics', { topics: [topic], includeConfigs: true });
  return d.topics[0]!;
}

async function fill(client: WireClient, topic: string, batches: number, timestamp: number): Promise<void> {
  for (let i = 0; i < batches; i++) await produce(client, topic, 0, [{ key: `k${i % 7}`, value: 'x'.repeat(400), timestamp }]);
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('retention', () => {
  let dir: string;
  let cleanup: () => void;
  let clock: ManualClock;
  let broker: Broker;
  let client: WireClient;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    clock = new ManualClock(T0);
    broker = await Broker.start({ dataDir: dir, port: 0, clock, config: { 'file.delete.delay.ms': 0 } });
    client = await WireClient.connect(broker.url);
  });
  afterEach(async () => {
    await client.close();
    await broker.close();
    cleanup();
  });

  it('deletes whole closed segments older than retention.ms, advances the log start, and never touches the active segment', async () => {
    await createTopic(client, 'old', 1, { 'segment.bytes': '2048', 'retention.ms': String(HOUR) });
    await fill(client, 'old', 12, T0);
    const before = await describe1(client, 'old');
    expect(before.partitions[0]!.segmentCount).toBeGreaterThanOrEqual(3);
    expect(broker.logs.runRetention()).toBe(0); // nothing is an hour old yet
    clock.advance(HOUR + 1);
    const deleted = broker.logs.runRetention();
    expect(deleted).toBe(before.partitions[0]!.segmentCount - 1);
    const after = (await describe1(client, 'old')).partitions[0]!;
    expect(after.segmentCount).toBe(1);
    expect(after.logStartOffset).toBeGreaterThan(0);
    expect(after.logEndOffset).toBe(12);
    // Below the log start: out of range. At it: data.
    const below = await client.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [{ name: 'old', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
    expect(below.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: after.logStartOffset });
    const earliest = await client.request('ListOffsets', { topics: [{ name: 'old', partitions: [{ partition: 0, timestamp: -2 }] }] });
    expect(earliest.topics[0]!.partitions[0]!.offset).toBe(after.logStartOffset);
    const logs = readdirSync(join(dir, 'old-0')).filter((f) => f.endsWith('.log'));
    expect(logs).toEqual([String(after.logStartOffset).padStart(20, '0') + '.log']);
    await eventually(() => readdirSync(join(dir, 'old-0')).every((f) => !f.endsWith('.deleted')));
  });

  it('deletes the oldest segments while the partition exceeds retention.bytes', async () => {
    await createTopic(client, 'big', 1, { 'segment.bytes': '2048', 'retention.bytes': '5000' });
    await fill(client, 'big', 20, T0);
    expect(broker.logs.runRetention()).toBeGreaterThan(0);
    const p = (await describe1(client, 'big')).partitions[0]!;
    expect(p.sizeBytes).toBeGreaterThanOrEqual(5000 - 2048);
    expect(p.sizeBytes).toBeLessThan(5000 + 2048);
    expect(p.logEndOffset).toBe(20);
  });

  it('leaves compact-only topics to the cleaner', async () => {
    await createTopic(client, 'kv', 1, { 'segment.bytes': '2048', 'retention.ms': '1', 'cleanup.policy': 'compact' });
    await fill(client, 'kv', 10, T0);
    clock.advance(HOUR);
    expect(broker.logs.runRetention()).toBe(0);
  });

  it('applies settings changed at run time, persists them, and validates them like creation', async () => {
    await createTopic(client, 'live', 1, { 'segment.bytes': '2048' });
    await fill(client, 'live', 12, T0);
    clock.advance(2 * HOUR);
    expect(broker.logs.runRetention()).toBe(0); // default retention: 7 days
    const res = await client.request('AlterTopicConfigs', { topics: [{ name: 'live', configs: [{ name: 'retention.ms', value: String(HOUR), operation: 0 }] }] });
    expect(res.topics[0]!.errorCode).toBe(0);
    expect(broker.logs.runRetention()).toBeGreaterThan(0);
    const configs = (await describe1(client, 'live')).configs;
    expect(configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: String(HOUR), isDefault: false });

    const bad = await client.request('AlterTopicConfigs', {
      topics: [
        { name: 'live', configs: [{ name: 'retention.ms', value: 'soon', operation: 0 }] },
        { name: 'live', configs: [{ name: 'no.such', value: '1', operation: 0 }] },
        { name: 'missing', configs: [{ name: 'retention.ms', value: '1', operation: 0 }] },
      ],
    });
    expect(bad.topics.map((t) => t.errorCode)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(bad.topics[0]!.errorMessage).toContain('retention.ms');

    await client.close();
    await broker.close();
    broker = await Broker.start({ dataDir: dir, port: 0, clock });
    client = await WireClient.connect(broker.url);
    expect((await describe1(client, 'live')).configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: String(HOUR), isDefault: false });
    const removed = await client.request('AlterTopicConfigs', { topics: [{ name: 'live', configs: [{ name: 'retention.ms', operation: 1 }] }] });
    expect(removed.topics[0]!.errorCode).toBe(0);
    expect((await describe1(client, 'live')).configs.find((c) => c.name === 'retention.ms')).toMatchObject({ isDefault: true, value: String(7 * 24 * HOUR) });
    expect(existsSync(join(dir, 'metadata.json'))).toBe(true);
  });
});
