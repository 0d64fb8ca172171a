/**
 * snappy batches: stored verbatim like any batch; ListOffsets-by-timestamp, the compacted-topic key
 * check and the log cleaner look inside them (the cleaner recompresses what it rewrites).
 */
import { compressSync, uncompressSync } from 'snappy';
import { BATCH_HEADER_SIZE, CompressionCodec, ErrorCode, RecordBatchBuilder, compressionOf, decodeRecords, iterateBatches, type RecordInput } from '@strata/protocol';
import { Broker, ManualClock } from '../src';
import type { Log } from '../src/storage/log';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic } from './helpers/wire-client';

const T0 = 1_700_000_000_000;
const dec = new TextDecoder();

function snappyBatch(records: RecordInput[]): Uint8Array {
  const b = new RecordBatchBuilder();
  for (const r of records) b.append(r, T0);
  return b.buildCompressed(compressSync(b.recordsSection()), CompressionCodec.Snappy);
}

async function produceSnappy(client: WireClient, topic: string, records: RecordInput[]): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partition: 0, records: snappyBatch(records) }] }] });
  return res.topics[0]!.partitions[0]!;
}

function unsnappy(raw: Uint8Array): Uint8Array {
  const out = uncompressSync(raw);
  if (typeof out === 'string') throw new TypeError('expected bytes');
  return out;
}

async function readAll(log: Log): Promise<Array<{ offset: number; key: string; value: string; codec: number }>> {
  const out: Array<{ offset: number; key: string; value: string; codec: number }> = [];
  const r = await log.read(log.logStartOffset, 1 << 22, true);
  for (const v of iterateBatches(r.records)) {
    const codec = compressionOf(v.header.attributes);
    const raw = v.bytes.subarray(BATCH_HEADER_SIZE);
    const section = codec === CompressionCodec.Snappy ? unsnappy(raw) : raw;
    for (const rec of decodeRecords(section, v.header)) out.push({ offset: rec.offset, key: dec.decode(rec.key!), value: dec.decode(rec.value!), codec });
  }
  return out;
}

describe('snappy batches on the broker', () => {
  let dir: string;
  let cleanup: () => void;
  let broker: Broker;
  let client: WireClient;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    broker = await Broker.start({ dataDir: dir, port: 0, clock: new ManualClock(T0), config: { 'file.delete.delay.ms': 0, 'log.cleaner.enable': false } });
    client = await WireClient.connect(broker.url);
  });
  afterEach(async () => {
    await client.close();
    await broker.close();
    cleanup();
  });

  it('finds the exact record by timestamp inside a snappy batch', async () => {
    await createTopic(client, 'ts');
    await produceSnappy(client, 'ts', [0, 10, 20, 30].map((d) => ({ value: `v${d}`, timestamp: T0 + d })));
    const res = await client.request('ListOffsets', { topics: [{ name: 'ts', partitions: [{ partition: 0, timestamp: T0 + 15 }] }] });
    expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 2, timestamp: T0 + 20 });
  });

  it('refuses a record without a key in a snappy batch of a compacted topic', async () => {
    await createTopic(client, 'kv', 1, { 'cleanup.policy': 'compact' });
    expect((await produceSnappy(client, 'kv', [{ key: 'a', value: '1' }, { key: null, value: '2' }])).errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('compacts snappy batches: keeps the latest record per key and recompresses rewritten batches with snappy', async () => {
    await createTopic(client, 'kv', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024' });
    const written: Array<{ key: string; value: string; offset: number }> = [];
    for (let v = 0; v < 40; v++) {
      const recs = ['a', 'b', 'c'].map((key) => ({ key, value: `${key}${v}-${'x'.repeat(60)}`, timestamp: T0 }));
      const { errorCode, baseOffset } = await produceSnappy(client, 'kv', recs);
      expect(errorCode).toBe(0);
      recs.forEach((r, i) => written.push({ key: r.key, value: r.value, offset: baseOffset + i }));
    }
    const log = broker.topics.get('kv')!.partitions[0]!.log;
    const stats = await broker.logs.cleaner.cleanLog(log);
    expect(stats!.recordsRemoved).toBeGreaterThan(0);
    const after = await readAll(log);
    const cleanEnd = log.active.baseOffset;
    const cleaned = after.filter((r) => r.offset < cleanEnd);
    for (const r of cleaned) expect(written.filter((w) => w.key === r.key && w.offset < cleanEnd).at(-1)!.offset).toBe(r.offset);
    expect(after.every((r) => r.codec === CompressionCodec.Snappy)).toBe(true);
    expect(after.map((r) => r.offset)).toEqual([...after.map((r) => r.offset)].sort((x, y) => x - y));
  });
});
