/**
 * Finding 1 of the hardening issue: batches whose CRC is correct but whose inside lies used to be
 * appended and acknowledged, and then stopped every consumer of the partition. Each lie here is
 * refused with INVALID_RECORD naming the problem, nothing is written, and the partition stays
 * readable from its first offset to its last.
 */
import { gzipSync } from 'node:zlib';
import { compressSync } from 'snappy';
import {
  BATCH_CRC_START,
  BATCH_HEADER_SIZE,
  BatchField,
  CompressionCodec,
  RecordBatchBuilder,
  batchSize,
  crc32c,
  decodeRecords,
  errorDefinition,
  iterateBatches,
  readBatchHeader,
  type RecordInput,
} from '@strata/protocol';
import { Broker } from '../src';
import { zstdRaw } from './helpers/batch-forge';
import { tempDir } from './helpers/tmp';
import { WireClient, batch, createTopic, produce } from './helpers/wire-client';

const TOPIC = 'poison';

/** Recomputes the CRC after a deliberate edit: the lie must get past the CRC check. */
function reseal(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(BatchField.CRC, crc32c(b, BATCH_CRC_START, batchSize(readBatchHeader(b))));
  return b;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function compressedBatch(records: RecordInput[], codec: number, compress: (section: Uint8Array) => Uint8Array): Uint8Array {
  const b = new RecordBatchBuilder();
  for (const r of records) b.append(r);
  return b.buildCompressed(compress(b.recordsSection()), codec as 1 | 2 | 3 | 4);
}

describe('poison batches (hardening finding 1)', () => {
  let broker: Broker;
  let client: WireClient;
  let cleanup: () => void;

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    broker = await Broker.start({ dataDir: dir, port: 0 });
    client = await WireClient.connect(broker.url);
    await createTopic(client, TOPIC);
    await produce(client, TOPIC, 0, [{ key: 'before', value: 'good' }]);
  });

  afterAll(async () => {
    // Everything the broker acknowledged reads back and decodes: no poison got in.
    const res = await client.request('Fetch', { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ name: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
    const p = res.topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    const values: string[] = [];
    for (const { header, bytes } of iterateBatches(p.records)) {
      const codec = header.attributes & 7;
      const section = codec === 0 ? bytes.subarray(BATCH_HEADER_SIZE) : null;
      if (section) for (const r of decodeRecords(section, header)) values.push(Buffer.from(r.value!).toString());
      else values.push(`codec ${codec}`);
    }
    expect(values[0]).toBe('good');
    expect(values[values.length - 1]).toBe('after');
    expect(Number(p.highWatermark)).toBe(values.length);
    await client.close();
    await broker.close();
    cleanup();
  });

  async function refused(records: Uint8Array): Promise<string> {
    const before = (await client.request('ListOffsets', { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partition: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;
    const res = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: TOPIC, partitions: [{ partition: 0, records }] }] });
    const p = res.topics[0]!.partitions[0]!;
    const after = (await client.request('ListOffsets', { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partition: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;
    expect(after).toBe(before); // nothing written
    expect(Number(p.baseOffset)).toBe(-1);
    return `${errorDefinition(p.errorCode).name}: ${p.errorMessage}`;
  }

  it('refuses a record whose key length runs past the batch', async () => {
    const b = batch([{ key: 'abc', value: 'v' }]);
    // record: length(1) timestampDelta(1) offsetDelta(1) keyLength(1 = 4 for 3 bytes)
    expect(b[BATCH_HEADER_SIZE + 3]).toBe(4);
    b[BATCH_HEADER_SIZE + 3] = 100;
    expect(await refused(reseal(b))).toMatch(/^INVALID_RECORD: .*key of 99 bytes runs past the end of the record/);
  });

  it('refuses a header count larger than the headers present', async () => {
    const b = batch([{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }] }]);
    // after key "k" (len 2,'k') and value "v" (len 2,'v') comes the header count 1
    const at = BATCH_HEADER_SIZE + 3 + 2 + 2;
    expect(b[at]).toBe(1);
    b[at] = 3;
    expect(await refused(reseal(b))).toMatch(/^INVALID_RECORD: .*header/);
  });

  it('refuses recordCount and lastOffsetDelta that disagree with the records', async () => {
    const count = batch([{ value: 'a' }, { value: 'b' }]);
    view(count).setInt32(BatchField.RECORD_COUNT, 3);
    view(count).setInt32(BatchField.LAST_OFFSET_DELTA, 2);
    expect(await refused(reseal(count))).toMatch(/^INVALID_RECORD: /);
    const delta = batch([{ value: 'a' }, { value: 'b' }]);
    view(delta).setInt32(BatchField.LAST_OFFSET_DELTA, 7);
    expect(await refused(reseal(delta))).toMatch(/^INVALID_RECORD: .*last offset delta 7/);
  });

  it('refuses gzip, snappy and zstd payloads that are not valid', async () => {
    const records = [{ key: 'k', value: 'compressed' }];
    const gz = compressedBatch(records, CompressionCodec.Gzip, (s) => gzipSync(s));
    gz[gz.length - 5] = gz[gz.length - 5]! ^ 0xff; // damages the gzip trailer (CRC-32 / size)
    expect(await refused(reseal(gz))).toMatch(/^INVALID_RECORD: the gzip payload cannot be decompressed/);
    const snappy = compressedBatch(records, CompressionCodec.Snappy, (s) => Uint8Array.from([50, 0xff, 0xff, 0xff, ...s.subarray(0, 4)]));
    expect(await refused(reseal(snappy))).toMatch(/^INVALID_RECORD: the snappy payload cannot be decompressed/);
    const zstd = compressedBatch(records, CompressionCodec.Zstd, (s) => zstdRaw(s).subarray(0, 12));
    expect(await refused(reseal(zstd))).toMatch(/^INVALID_RECORD: the zstd payload cannot be decompressed/);
  });

  it('refuses a well-formed compressed payload whose records inside lie', async () => {
    const b = new RecordBatchBuilder();
    b.append({ key: 'abc', value: 'v' });
    const section = b.recordsSection().slice();
    section[3] = 100; // key length
    const gz = b.buildCompressed(gzipSync(section), CompressionCodec.Gzip);
    expect(await refused(reseal(gz))).toMatch(/^INVALID_RECORD: .*key of 99 bytes/);
  });

  it('refuses decompression bombs before inflating them', async () => {
    const huge = new Uint8Array(80 * 1024 * 1024); // 80 MiB of zeros: gzip makes ~80 KiB of it
    const gz = compressedBatch([{ value: 'x' }], CompressionCodec.Gzip, () => gzipSync(huge, { level: 9 }));
    expect(await refused(gz)).toMatch(/^INVALID_RECORD: the gzip payload cannot be decompressed/);
    const zstd = compressedBatch([{ value: 'x' }], CompressionCodec.Zstd, (s) => zstdRaw(s, 0x7fffffff));
    expect(await refused(zstd)).toMatch(/^INVALID_RECORD: .*declares 2147483647 bytes/);
  });

  it('refuses lz4 batches it cannot look inside, with a hint', async () => {
    const lz4 = compressedBatch([{ value: 'x' }], CompressionCodec.Lz4, (s) => s);
    expect(await refused(lz4)).toMatch(/^INVALID_RECORD: lz4-compressed batches are not accepted/);
  });

  it('accepts valid gzip, snappy and zstd batches and ends with a good record', async () => {
    const records = [{ key: 'k', value: 'compressed' }];
    for (const [codec, compress] of [
      [CompressionCodec.Gzip, (s: Uint8Array) => gzipSync(s)],
      [CompressionCodec.Snappy, (s: Uint8Array) => compressSync(s)],
      [CompressionCodec.Zstd, (s: Uint8Array) => zstdRaw(s)],
    ] as const) {
      const res = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: TOPIC, partitions: [{ partition: 0, records: compressedBatch(records, codec, compress) }] }] });
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    }
    await produce(client, TOPIC, 0, [{ key: 'after', value: 'after' }]);
  });
});
