import { Apis, BATCH_HEADER_SIZE, BatchField, ErrorCode, StrataError, crc32c, decodeRecords, encodeRequestFrame, iterateBatches, type FetchResponse } from '@strata/protocol';
import { ConfigError, startBroker } from '../src';
import { testBroker } from './helpers/broker';
import { tempDir } from './helpers/tmp';
import { WireClient, batch, createTopic, produce } from './helpers/wire-client';

const dec = new TextDecoder();

function fetchedRecords(res: FetchResponse, partition = 0) {
  const p = res.topics[0]!.partitions.find((x) => x.partition === partition)!;
  return [...iterateBatches(p.records)].flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header));
}

function fetchReq(topic: string, offset: number, extra: { maxWaitMs?: number; minBytes?: number; partition?: number } = {}) {
  return {
    replicaId: -1,
    maxWaitMs: extra.maxWaitMs ?? 0,
    minBytes: extra.minBytes ?? 1,
    maxBytes: 1 << 20,
    topics: [{ name: topic, partitions: [{ partition: extra.partition ?? 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  };
}

describe('broker over the wire', () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: WireClient;

  beforeEach(async () => {
    broker = await testBroker();
    client = await WireClient.connect(broker.url);
  });
  afterEach(async () => {
    await client.close();
    await broker.cleanup();
  });

  describe('handshake and bad frames', () => {
    it('answers ApiVersions with every API it serves and its limits', async () => {
      const res = await client.request('ApiVersions', {});
      const served = res.apiKeys.map((k) => k.apiKey);
      for (const api of [Apis.ApiVersions, Apis.Metadata, Apis.CreateTopics, Apis.DeleteTopics, Apis.DescribeTopics, Apis.Produce, Apis.Fetch, Apis.ListOffsets]) {
        expect(served).toContain(api.key);
      }
      // Only APIs of the shared table, each at the versions that table gives.
      for (const k of res.apiKeys) {
        const api = Object.values(Apis).find((a) => a.key === k.apiKey)!;
        expect([k.minVersion, k.maxVersion]).toEqual([api.minVersion, api.maxVersion]);
      }
      expect(res.maxFrameBytes).toBe(broker.config.maxFrameBytes);
      expect(res.maxBatchBytes).toBe(broker.config.messageMaxBytes);
      expect(res.authMechanisms).toEqual([]);
      expect(res.clusterId).toMatch(/[0-9a-f-]{36}/);
    });

    it('refuses any request before the handshake and closes the connection', async () => {
      const raw = await WireClient.connect(broker.url, { handshake: false });
      await expect(raw.request('Metadata', { allTopics: true })).rejects.toMatchObject({ code: 'HANDSHAKE_REQUIRED' });
      await raw.closed;
      expect(raw.closeCode).toBe(1002);
    });

    it('closes on text frames and on frames too short for a header', async () => {
      for (const bad of ['hello', new Uint8Array([0, 3, 0])]) {
        const raw = await WireClient.connect(broker.url);
        raw.sendRaw(bad);
        await raw.closed;
        expect(raw.closeCode).toBe(1002);
      }
    });

    it('answers an unknown API key or version with an error and keeps the connection', async () => {
      const frame = encodeRequestFrame(Apis.Metadata, { apiVersion: 0, correlationId: 1, clientId: null }, {});
      new DataView(frame.buffer, frame.byteOffset).setInt16(0, 999);
      client.sendRaw(frame);
      await expect(client.request('Metadata', { allTopics: true }, { apiVersion: 7 })).rejects.toMatchObject({ code: 'UNSUPPORTED_VERSION' });
      const ok = await client.request('Metadata', { allTopics: true });
      expect(ok.brokers[0]!.url).toBe(broker.url);
    });

    it('answers a body that is not protobuf with INVALID_REQUEST and closes', async () => {
      const frame = encodeRequestFrame(Apis.Metadata, { apiVersion: 0, correlationId: 5, clientId: null }, {});
      const bad = new Uint8Array(frame.length + 2);
      bad.set(frame);
      bad.set([0x0a, 0xff], frame.length);
      const pending = new Promise<unknown>((resolve) => client.ws.once('message', resolve));
      client.sendRaw(bad);
      await pending;
      await client.closed;
      expect(client.closeCode).toBe(1002);
    });

    it('closes a connection that sends a frame over max.frame.bytes', async () => {
      const small = await testBroker({ config: { 'max.frame.bytes': 64 * 1024, 'message.max.bytes': 32 * 1024 } });
      try {
        const c = await WireClient.connect(small.url);
        c.sendRaw(new Uint8Array(100 * 1024));
        await c.closed;
        expect(c.closeCode).toBe(1009);
      } finally {
        await small.cleanup();
      }
    });
  });

  describe('topics', () => {
    it('creates, lists, describes and deletes topics', async () => {
      await createTopic(client, 'orders', 3, { 'segment.bytes': '1048576' });
      const meta = await client.request('Metadata', { allTopics: true });
      expect(meta.topics.filter((t) => !t.isInternal).map((t) => [t.name, t.partitions.length])).toEqual([['orders', 3]]); // __consumer_offsets is listed too
      const desc = await client.request('DescribeTopics', { topics: ['orders'], includeConfigs: true });
      const t = desc.topics[0]!;
      expect(t.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset])).toEqual([[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
      expect(t.configs.find((c) => c.name === 'segment.bytes')).toMatchObject({ name: 'segment.bytes', value: '1048576', isDefault: false });
      expect(t.configs.find((c) => c.name === 'max.message.bytes')).toMatchObject({ isDefault: true });
      const del = await client.request('DeleteTopics', { names: ['orders', 'nope'] });
      expect(del.topics.map((r) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect((await client.request('Metadata', { allTopics: true })).topics.filter((t) => !t.isInternal)).toEqual([]);
    });

    it('rejects invalid names, duplicates, bad partition counts and bad configs with the right codes', async () => {
      await createTopic(client, 'dup');
      const res = await client.request('CreateTopics', {
        topics: [
          { name: 'has space', numPartitions: 1 },
          { name: 'x'.repeat(250), numPartitions: 1 },
          { name: '..', numPartitions: 1 },
          { name: 'dup', numPartitions: 1 },
          { name: 'neg', numPartitions: -3 },
          { name: 'cfg', numPartitions: 1, configs: [{ name: 'segment.bytes', value: 'big' }] },
          { name: 'cfg2', numPartitions: 1, configs: [{ name: 'no.such.setting', value: '1' }] },
          { name: 'ok.name_1-2', numPartitions: 2 },
        ],
      });
      expect(res.topics.map((t) => t.errorCode)).toEqual([
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        ErrorCode.TOPIC_ALREADY_EXISTS,
        ErrorCode.INVALID_PARTITIONS,
        ErrorCode.INVALID_CONFIG,
        ErrorCode.INVALID_CONFIG,
        0,
      ]);
      expect(res.topics[5]!.errorMessage).toContain('segment.bytes');
      expect(res.topics[6]!.errorMessage).toContain('no.such.setting');
    });

    it('does not auto-create topics unless configured to', async () => {
      const res = await client.request('Metadata', { topics: ['auto'], allowAutoTopicCreation: true });
      expect(res.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const auto = await testBroker({ config: { 'auto.create.topics.enable': true, 'num.partitions': 4 } });
      try {
        const c = await WireClient.connect(auto.url);
        const r = await c.request('Metadata', { topics: ['auto'], allowAutoTopicCreation: true });
        expect(r.topics[0]!.partitions).toHaveLength(4);
        await c.close();
      } finally {
        await auto.cleanup();
      }
    });
  });

  describe('produce, fetch, list offsets', () => {
    beforeEach(() => createTopic(client, 't', 2));

    it('returns base offsets and serves the stored batches back with keys, values and headers intact', async () => {
      expect(await produce(client, 't', 0, [{ key: 'a', value: '1', headers: [{ key: 'h', value: null }] }, { key: null, value: null }])).toBe(0);
      expect(await produce(client, 't', 0, [{ key: new Uint8Array(0), value: new Uint8Array(0) }], 1)).toBe(2);
      expect(await produce(client, 't', 1, [{ value: 'other' }])).toBe(0);
      const recs = fetchedRecords(await client.request('Fetch', fetchReq('t', 0)));
      expect(recs.map((r) => r.offset)).toEqual([0, 1, 2]);
      expect(dec.decode(recs[0]!.key!)).toBe('a');
      expect(recs[0]!.headers).toEqual([{ key: 'h', value: null }]);
      expect(recs[1]!.key).toBeNull();
      expect(recs[1]!.value).toBeNull();
      expect(recs[2]!.value).not.toBeNull();
      expect(recs[2]!.value!.length).toBe(0);
    });

    it('rejects a batch with a bad CRC, an oversize batch and an unknown partition, appending nothing', async () => {
      const good = batch([{ value: 'x' }]);
      const corrupt = good.slice();
      corrupt[corrupt.length - 1]! ^= 1;
      const big = batch([{ value: 'y'.repeat(2 * 1024 * 1024) }]);
      const res = await client.request('Produce', {
        acks: -1,
        timeoutMs: 5000,
        topics: [
          { name: 't', partitions: [{ partition: 0, records: corrupt }, { partition: 1, records: big }, { partition: 7, records: good }] },
          { name: 'missing', partitions: [{ partition: 0, records: good }] },
        ],
      });
      expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.CORRUPT_MESSAGE, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      expect(res.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const desc = await client.request('DescribeTopics', { topics: ['t'] });
      expect(desc.topics[0]!.partitions.map((p) => p.logEndOffset)).toEqual([0, 0]);
    });

    it('rejects a batch whose records lie about their lengths even when its CRC is right', async () => {
      const b = batch([{ value: 'abc' }, { value: 'def' }]);
      const view = new DataView(b.buffer, b.byteOffset);
      view.setInt32(BatchField.RECORD_COUNT, 1);
      view.setInt32(BatchField.LAST_OFFSET_DELTA, 0);
      view.setUint32(BatchField.CRC, crc32c(b, 21));
      const res = await client.request('Produce', { acks: 1, timeoutMs: 1000, topics: [{ name: 't', partitions: [{ partition: 0, records: b }] }] });
      // INVALID_RECORD, not CORRUPT_MESSAGE: the bytes arrived intact (the CRC is right), so a
      // retry cannot help, and CORRUPT_MESSAGE is retriable.
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    });

    it('refuses acks other than 0, 1 and -1', async () => {
      await expect(client.request('Produce', { acks: 2, topics: [] })).rejects.toMatchObject({ code: 'INVALID_REQUIRED_ACKS' });
    });

    it('appends acks=0 produces without answering them', async () => {
      client.sendNoAck({ topics: [{ name: 't', partitions: [{ partition: 0, records: batch([{ value: 'fire' }]) }] }] });
      const recs = fetchedRecords(await client.request('Fetch', fetchReq('t', 0, { maxWaitMs: 5000 })));
      expect(recs.map((r) => dec.decode(r.value!))).toEqual(['fire']);
    });

    it('parks a fetch at the log end until data arrives', async () => {
      const parked = client.request('Fetch', fetchReq('t', 0, { maxWaitMs: 30000 }));
      const other = await WireClient.connect(broker.url);
      await produce(other, 't', 0, [{ value: 'wake up' }]);
      const recs = fetchedRecords(await parked);
      expect(recs.map((r) => dec.decode(r.value!))).toEqual(['wake up']);
      await other.close();
    });

    it('answers an empty fetch when the wait ends without data', async () => {
      const res = await client.request('Fetch', fetchReq('t', 0, { maxWaitMs: 50 }));
      expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0 });
      expect(fetchedRecords(res)).toEqual([]);
    });

    it('reports OFFSET_OUT_OF_RANGE with the valid range', async () => {
      await produce(client, 't', 0, [{ value: 'a' }, { value: 'b' }]);
      const res = await client.request('Fetch', fetchReq('t', 5));
      expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 2, logStartOffset: 0 });
    });

    it('lists earliest, latest and by-timestamp offsets', async () => {
      const t0 = 1_700_000_000_000;
      await produce(client, 't', 0, [{ value: 'a', timestamp: t0 }, { value: 'b', timestamp: t0 + 10 }]);
      await produce(client, 't', 0, [{ value: 'c', timestamp: t0 + 20 }]);
      const res = await client.request('ListOffsets', {
        topics: [{ name: 't', partitions: [{ partition: 0, timestamp: -2 }, { partition: 0, timestamp: -1 }, { partition: 0, timestamp: t0 + 5 }, { partition: 0, timestamp: t0 + 99 }] }],
      });
      expect(res.topics[0]!.partitions.map((p) => [p.offset, p.timestamp])).toEqual([[0, -1], [3, -1], [1, t0 + 10], [-1, -1]]);
    });

    it('keeps every record across a restart and continues the offsets', async () => {
      for (let i = 0; i < 20; i++) await produce(client, 't', i % 2, [{ key: `k${i}`, value: `v${i}` }]);
      await client.close();
      const restarted = await broker.restart();
      try {
        const c = await WireClient.connect(restarted.url);
        expect(await produce(c, 't', 0, [{ value: 'after' }])).toBe(10);
        const recs = fetchedRecords(await c.request('Fetch', fetchReq('t', 0)));
        expect(recs.map((r) => dec.decode(r.value!))).toEqual([...Array.from({ length: 10 }, (_, i) => `v${i * 2}`), 'after']);
        await c.close();
      } finally {
        await restarted.close();
      }
      client = await WireClient.connect(broker.url).catch(() => client);
    });

    it('answers a parked fetch when the broker shuts down instead of dropping it', async () => {
      const parked = client.request('Fetch', fetchReq('t', 0, { maxWaitMs: 30000 }));
      await new Promise((r) => setTimeout(r, 20));
      await broker.close();
      const res = await parked;
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
      await client.closed;
      expect(client.closeCode).toBe(1001);
    });
  });
});

describe('broker start-up', () => {
  it('refuses an invalid setting, naming it and what is allowed', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await expect(startBroker({ dataDir: dir, port: 0, config: { durability: 'sometimes' } })).rejects.toThrow(ConfigError);
      await expect(startBroker({ dataDir: dir, port: 0, config: { durability: 'sometimes' } })).rejects.toThrow(/durability.*"fsync", "async"/);
      await expect(startBroker({ dataDir: dir, port: 0, config: { 'log.segment.bytes': 10 } })).rejects.toThrow(/log\.segment\.bytes: expected an integer from 1024/);
      await expect(startBroker({ dataDir: dir, port: 0, config: { 'no.such': 1 } })).rejects.toThrow(/unknown setting "no.such"/);
    } finally {
      cleanup();
    }
  });

  it('refuses to share its data folder with another running broker', async () => {
    const broker = await testBroker();
    try {
      await expect(startBroker({ dataDir: broker.dataDir, port: 0 })).rejects.toThrow(/in use/);
    } finally {
      await broker.cleanup();
    }
  });

  it('is an instance of a typed error hierarchy', () => {
    expect(new ConfigError([])).toBeInstanceOf(StrataError);
  });
});
