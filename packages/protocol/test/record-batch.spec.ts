import {
  BATCH_HEADER_SIZE,
  BatchField,
  RecordBatchBuilder,
  StrataProtocolError,
  validateRecords,
  crc32c,
  decodeRecords,
  iterateBatches,
  readBatchHeader,
  restampProducerState,
  stampBatch,
  validateBatch,
  type RecordInput,
} from '../src';
import { expectGolden, readGolden } from './golden';

const enc = new TextEncoder();
const dec = new TextDecoder();
const T0 = 1_700_000_000_000;

/** The batch pinned by fixtures/record-batch.hex: null and empty keys, values and header values. */
function goldenBatch(): Uint8Array {
  const b = new RecordBatchBuilder({ producerId: 42, producerEpoch: 3, baseSequence: 7, initialCapacity: 16 });
  b.append({ key: 'k1', value: 'hello', timestamp: T0 });
  b.append({ key: null, value: null, timestamp: T0 + 5 });
  b.append({ key: new Uint8Array(0), value: new Uint8Array(0), timestamp: T0 - 3 });
  b.append({
    key: 'k4',
    value: Uint8Array.from([0, 1, 2, 255]),
    headers: [
      { key: 'h-null', value: null },
      { key: 'h-empty', value: '' },
      { key: 'trace', value: 'abc' },
    ],
    timestamp: T0 + 1000,
  });
  return b.build();
}

describe('record batch codec', () => {
  it('encodes the golden batch byte for byte (a format change must update fixtures/record-batch.hex on purpose)', () => {
    expectGolden('record-batch.hex', goldenBatch());
  });

  it('decodes the golden fixture back into the records that produced it', () => {
    const bytes = readGolden('record-batch.hex');
    const header = validateBatch(bytes);
    expect(header).toMatchObject({
      baseOffset: 0,
      magic: 2,
      recordCount: 4,
      lastOffsetDelta: 3,
      baseTimestamp: T0,
      maxTimestamp: T0 + 1000,
      producerId: 42,
      producerEpoch: 3,
      baseSequence: 7,
      attributes: 0,
    });
    const records = decodeRecords(bytes.subarray(BATCH_HEADER_SIZE), header);
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect(records.map((r) => r.timestamp)).toEqual([T0, T0 + 5, T0 - 3, T0 + 1000]);
    expect(dec.decode(records[0]!.key!)).toBe('k1');
    expect(dec.decode(records[0]!.value!)).toBe('hello');
    expect(records[1]!.key).toBeNull();
    expect(records[1]!.value).toBeNull();
    expect(records[2]!.key).toEqual(new Uint8Array(0));
    expect(records[2]!.value).toEqual(new Uint8Array(0));
    expect(Array.from(records[3]!.value!)).toEqual([0, 1, 2, 255]);
    expect(records[3]!.headers.map((h) => [h.key, h.value === null ? null : dec.decode(h.value)])).toEqual([
      ['h-null', null],
      ['h-empty', ''],
      ['trace', 'abc'],
    ]);
  });

  it('lets the broker stamp offset and leader epoch without invalidating the CRC', () => {
    const batch = goldenBatch();
    stampBatch(batch, 0, 1234567890123, 9);
    const header = validateBatch(batch);
    expect(header.baseOffset).toBe(1234567890123);
    expect(header.partitionLeaderEpoch).toBe(9);
    expect(decodeRecords(batch.subarray(BATCH_HEADER_SIZE), header).map((r) => r.offset)).toEqual([
      1234567890123, 1234567890124, 1234567890125, 1234567890126,
    ]);
  });

  it('round-trips thousands of random records, with multi-byte strings', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const inputs: RecordInput[] = [];
    const b = new RecordBatchBuilder({ initialCapacity: 64 });
    for (let i = 0; i < 3000; i++) {
      const value = rnd(4) === 0 ? null : 'v'.repeat(rnd(300)) + (rnd(2) ? 'ü日😀' : '');
      const r: RecordInput = {
        key: rnd(3) === 0 ? null : `key-${rnd(1000)}`,
        value,
        headers: rnd(5) === 0 ? [{ key: `h${i}`, value: rnd(2) ? null : enc.encode('x'.repeat(rnd(20))) }] : null,
        timestamp: T0 + rnd(100000) - 50000,
      };
      inputs.push(r);
      b.append(r);
    }
    const batch = b.build();
    const [view] = [...iterateBatches(batch)];
    const out = decodeRecords(view!.bytes.subarray(BATCH_HEADER_SIZE), view!.header);
    expect(out).toHaveLength(inputs.length);
    out.forEach((rec, i) => {
      const input = inputs[i]!;
      expect(rec.offset).toBe(i);
      expect(rec.timestamp).toBe(input.timestamp);
      expect(rec.key === null ? null : dec.decode(rec.key)).toBe(input.key ?? null);
      expect(rec.value === null ? null : dec.decode(rec.value)).toBe(input.value);
      expect(rec.headers.length).toBe(input.headers?.length ?? 0);
    });
  });

  it('keeps framing within 8 bytes per 100-byte record in a full batch', () => {
    const b = new RecordBatchBuilder({ initialCapacity: 1 << 20 });
    const value = new Uint8Array(100);
    const n = 1000;
    for (let i = 0; i < n; i++) b.append({ value, timestamp: T0 });
    const perRecord = (b.build().length - BATCH_HEADER_SIZE) / n - 100;
    expect(perRecord).toBeLessThanOrEqual(8);
  });

  it('estimates at least the bytes a record really takes', () => {
    const r: RecordInput = { key: 'ключ', value: 'x'.repeat(5000), headers: [{ key: 'a', value: 'b' }], timestamp: T0 };
    const b = new RecordBatchBuilder();
    const before = b.sizeInBytes;
    b.append(r);
    expect(RecordBatchBuilder.estimateRecordSize(r)).toBeGreaterThanOrEqual(b.sizeInBytes - before);
  });

  it('keeps explicit offset gaps (as the cleaner writes them) and refuses deltas that go back', () => {
    const b = new RecordBatchBuilder();
    b.append({ key: 'a', value: '1', timestamp: T0 }, T0, 0);
    b.append({ key: 'b', value: '2', timestamp: T0 }, T0, 5);
    b.append({ key: 'c', value: '3', timestamp: T0 }, T0, 9);
    expect(() => b.append({ value: 'x' }, T0, 9)).toThrow(StrataProtocolError);
    const batch = b.build();
    stampBatch(batch, 0, 100, 0);
    const header = validateBatch(batch);
    expect(header).toMatchObject({ recordCount: 3, lastOffsetDelta: 9 });
    expect(decodeRecords(batch.subarray(BATCH_HEADER_SIZE), header).map((r) => r.offset)).toEqual([100, 105, 109]);
  });

  it('takes the producer id, epoch and sequence after the records, and renumbers a built batch with a valid CRC', () => {
    const b = new RecordBatchBuilder();
    b.append({ value: 'a', timestamp: T0 });
    b.append({ value: 'b', timestamp: T0 });
    b.setProducerState(9, 2, 40);
    const batch = b.build().slice();
    expect(validateBatch(batch)).toMatchObject({ producerId: 9, producerEpoch: 2, baseSequence: 40, recordCount: 2 });
    restampProducerState(batch, 0, 9, 3, 0);
    expect(validateBatch(batch)).toMatchObject({ producerId: 9, producerEpoch: 3, baseSequence: 0, recordCount: 2 });
    expect(decodeRecords(batch.subarray(BATCH_HEADER_SIZE), readBatchHeader(batch)).map((r) => dec.decode(r.value!))).toEqual(['a', 'b']);
  });

  it('refuses to build an empty batch', () => {
    expect(() => new RecordBatchBuilder().build()).toThrow(StrataProtocolError);
  });
});

describe('record batch validation (bad input)', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(StrataProtocolError);
      return (e as StrataProtocolError).code;
    }
    return undefined;
  };

  it('detects a flipped bit anywhere the CRC covers', () => {
    const batch = goldenBatch();
    for (let pos = BatchField.ATTRIBUTES; pos < batch.length; pos++) {
      const copy = batch.slice();
      copy[pos]! ^= 0x10;
      expect(codeOf(() => validateBatch(copy))).toBeDefined();
    }
  });

  it('rejects a wrong CRC with CORRUPT_MESSAGE', () => {
    const batch = goldenBatch();
    new DataView(batch.buffer, batch.byteOffset).setUint32(BatchField.CRC, crc32c(batch) ^ 1);
    expect(codeOf(() => validateBatch(batch))).toBe('CORRUPT_MESSAGE');
  });

  it('rejects every truncation of a batch', () => {
    const batch = goldenBatch();
    for (let len = 0; len < batch.length; len++) {
      expect(codeOf(() => validateBatch(batch.subarray(0, len)))).toBe('CORRUPT_MESSAGE');
    }
  });

  it('rejects a batch length beyond the buffer, a negative batch length and a negative record count', () => {
    const big = goldenBatch();
    new DataView(big.buffer, big.byteOffset).setInt32(BatchField.BATCH_LENGTH, 0x7ffffff0);
    expect(codeOf(() => validateBatch(big))).toBe('CORRUPT_MESSAGE');
    const neg = goldenBatch();
    new DataView(neg.buffer, neg.byteOffset).setInt32(BatchField.BATCH_LENGTH, -5);
    expect(codeOf(() => readBatchHeader(neg))).toBe('CORRUPT_MESSAGE');
    const count = goldenBatch();
    new DataView(count.buffer, count.byteOffset).setInt32(BatchField.RECORD_COUNT, -1);
    expect(codeOf(() => readBatchHeader(count))).toBe('CORRUPT_MESSAGE');
  });

  it('rejects an unknown magic byte', () => {
    const batch = goldenBatch();
    batch[BatchField.MAGIC] = 9;
    expect(codeOf(() => readBatchHeader(batch))).toBe('CORRUPT_MESSAGE');
  });

  it('reports MESSAGE_TOO_LARGE for a batch over the size limit', () => {
    expect(codeOf(() => validateBatch(goldenBatch(), 0, undefined, 64))).toBe('MESSAGE_TOO_LARGE');
  });

  it('rejects record sections whose lengths lie: beyond the section, short, or trailing bytes', () => {
    const batch = goldenBatch();
    const header = validateBatch(batch);
    const section = batch.subarray(BATCH_HEADER_SIZE).slice();
    expect(() => validateRecords(section, header)).not.toThrow();
    const longer = section.slice();
    longer[0] = 0x7f; // first record claims 127 bytes
    expect(codeOf(() => decodeRecords(longer, header))).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => validateRecords(longer, header))).toBe('CORRUPT_MESSAGE');
    const trailing = new Uint8Array(section.length + 1);
    trailing.set(section);
    expect(codeOf(() => decodeRecords(trailing, header))).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => validateRecords(trailing, header))).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => decodeRecords(section, { ...header, recordCount: 5 }))).toBe('CORRUPT_MESSAGE');
  });

  it('iterates back-to-back batches and stops before a partial tail only when asked to', () => {
    const a = goldenBatch();
    const b = goldenBatch();
    stampBatch(b, 0, 4, 0);
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    expect([...iterateBatches(both)].map((v) => v.header.baseOffset)).toEqual([0, 4]);
    const cut = both.subarray(0, both.length - 10);
    expect(() => [...iterateBatches(cut)]).toThrow(StrataProtocolError);
    expect([...iterateBatches(cut, { allowPartialTail: true })].map((v) => v.header.baseOffset)).toEqual([0]);
  });
});
