/**
 * Quotas against a real broker, on a manual clock: a produce that takes a client above its byte
 * rate is answered with the throttle time Kafka's formula gives, (rate − quota) / quota × measured
 * time; clients under their own quota (another client id, an override) are not throttled; request
 * rate quotas apply to every API; throttling shows in /metrics.
 */
import { encodeRequestFrame, apiOf } from '@strata/protocol';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, ManualClock } from '../src';
import { QUOTA_WINDOWS, QUOTA_WINDOW_MS } from '../src/security/quotas';
import { tempDir } from './helpers/tmp';
import { WireClient, batch, createTopic } from './helpers/wire-client';

const measuredMs = (QUOTA_WINDOWS - 1) * QUOTA_WINDOW_MS + 1;

function produceBody(value: string) {
  return { acks: 1, timeoutMs: 1000, topics: [{ name: 'metered', partitions: [{ partition: 0, records: batch([{ value }]) }] }] };
}

describe('quotas', () => {
  it('throttles a producer above quota.producer.byte.rate by the time that brings it back to the quota', async () => {
    const { dir, cleanup } = tempDir();
    const clock = new ManualClock(1_700_000_000_000); // on a window boundary
    writeFileSync(join(dir, 'quotas.json'), JSON.stringify([{ clientId: 'vip', producerByteRate: 1_000_000 }]));
    const rate = 100;
    const broker = await Broker.start({ dataDir: join(dir, 'data'), port: 0, clock, config: { 'quota.producer.byte.rate': rate, 'quota.overrides.file': join(dir, 'quotas.json') } });
    const client = await WireClient.connect(broker.url);
    try {
      await createTopic(client, 'metered');
      const body = produceBody('x'.repeat(2000));
      const frameBytes = encodeRequestFrame(apiOf('Produce'), { apiVersion: 0, correlationId: 1, clientId: 'wire-test' }, body).length;
      const res = await client.request('Produce', body);
      const observed = (frameBytes * 1000) / measuredMs;
      expect(res.throttleMs).toBe(Math.min(Math.ceil(((observed - rate) / rate) * measuredMs), QUOTA_WINDOWS * QUOTA_WINDOW_MS));
      expect(res.throttleMs).toBeGreaterThan(0);
      // Metadata is not a produce: no byte quota, no throttle (on another connection: this one is
      // not read by the broker until the throttle ends).
      const other = await WireClient.connect(broker.url);
      expect((await other.request('Metadata', { allTopics: true })).throttleMs).toBe(0);
      await other.close();
      const metrics = await broker.metrics.throttles.get();
      expect(metrics.values.find((v) => v.labels.api === 'Produce')?.value).toBe(1);
    } finally {
      client.ws.terminate(); // the broker reads nothing from it until the throttle ends
      await broker.close();
      cleanup();
    }
  });

  it('measures each client id under the defaults on its own, and applies overrides', async () => {
    const { dir, cleanup } = tempDir();
    const clock = new ManualClock(1_700_000_000_000);
    writeFileSync(join(dir, 'quotas.json'), JSON.stringify([{ clientId: 'vip', producerByteRate: 1_000_000 }]));
    const broker = await Broker.start({ dataDir: join(dir, 'data'), port: 0, clock, config: { 'quota.producer.byte.rate': 100, 'quota.overrides.file': join(dir, 'quotas.json') } });
    const client = await WireClient.connect(broker.url);
    try {
      await createTopic(client, 'metered');
      // The override for client id "vip" is large: the same bytes are within it.
      const frame = (clientId: string, correlationId: number) => encodeRequestFrame(apiOf('Produce'), { apiVersion: 0, correlationId, clientId }, produceBody('y'.repeat(2000)));
      const answers = new Map<number, number>();
      const got = new Promise<void>((resolve) =>
        client.ws.on('message', (data: Buffer) => {
          answers.set(data.readInt32BE(0), data.length);
          if (answers.size === 2) resolve();
        }),
      );
      client.ws.send(frame('vip', 1001));
      client.ws.send(frame('batch-job', 1002));
      await got;
      const m = await broker.metrics.throttles.get();
      // Only one of the two produces (batch-job's) was throttled.
      expect(m.values.find((v) => v.labels.api === 'Produce')?.value).toBe(1);
    } finally {
      client.ws.terminate(); // the broker reads nothing from it until the throttle ends
      await broker.close();
      cleanup();
    }
  });

  it('quota.request.rate throttles any API', async () => {
    const { dir, cleanup } = tempDir();
    const clock = new ManualClock(1_700_000_000_000);
    const broker = await Broker.start({ dataDir: dir, port: 0, clock, config: { 'quota.request.rate': 1 } });
    const client = await WireClient.connect(broker.url);
    try {
      const throttles: number[] = [];
      for (let i = 0; i < 15; i++) {
        const r = await client.request('DescribeTopics', { topics: [] });
        throttles.push(r.throttleMs);
        if (r.throttleMs > 0) break;
      }
      // 1 request per second measured over ~10 s: ApiVersions and nine DescribeTopics are within it,
      // the tenth DescribeTopics (the 11th request) goes over.
      expect(throttles.slice(0, 9)).toEqual(Array(9).fill(0));
      expect(throttles).toHaveLength(10);
      expect(throttles[9]).toBeGreaterThan(0);
    } finally {
      client.ws.terminate(); // the broker reads nothing from it until the throttle ends
      await broker.close();
      cleanup();
    }
  });
});
