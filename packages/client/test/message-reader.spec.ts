/**
 * The consumer's record decoding (message-reader.ts) against the protocol's reference decoder:
 * same messages for keys, values and headers of every shape and varint width; the same refusal of
 * malformed sections.
 */
import { BATCH_HEADER_SIZE, RecordBatchBuilder, decodeRecords, readBatchHeader, type RecordInput } from '@strata/protocol';
import { uint8ArrayView } from '../src';
import type { ConsumerMessage } from '../src/consumer/consumer-message';
import { readMessages } from '../src/consumer/message-reader';

const T0 = 1_700_000_000_000;

function build(records: RecordInput[]): { section: Uint8Array; header: ReturnType<typeof readBatchHeader> } {
  const b = new RecordBatchBuilder();
  for (const r of records) b.append(r);
  const bytes = b.build().slice();
  return { section: bytes.subarray(BATCH_HEADER_SIZE), header: readBatchHeader(bytes) };
}

function read(section: Uint8Array, header: ReturnType<typeof readBatchHeader>, fetchOffset = 0): ConsumerMessage[] {
  const out: ConsumerMessage[] = [];
  readMessages(out, uint8ArrayView, 't', 3, section, header, fetchOffset);
  return out;
}

describe('readMessages', () => {
  it('matches the reference decoder for every shape of record', () => {
    const big = 'v'.repeat(300); // multi-byte length varints
    const records: RecordInput[] = [];
    for (let i = 0; i < 400; i++) {
      records.push({
        key: i % 4 === 0 ? null : i % 4 === 1 ? '' : `key-${i}`,
        value: i % 5 === 0 ? null : i % 5 === 1 ? '' : i % 5 === 2 ? big : `value-${i}`,
        headers: i % 3 === 0 ? [{ key: 'h', value: String(i) }, { key: 'ü', value: null }, { key: 'e', value: '' }] : null,
        timestamp: T0 + (i % 7 === 0 ? -5_000 : i * 1_000), // negative and multi-byte timestamp deltas
      });
    }
    const { section, header } = build(records);
    const expected = decodeRecords(section, header);
    const actual = read(section, header);
    expect(actual.map((m) => ({ offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headers }))).toEqual(
      expected.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })),
    );
    expect(actual.every((m) => m.topic === 't' && m.partition === 3)).toBe(true);
    expect(actual).toHaveLength(400);
  });

  it('skips records below the fetch offset', () => {
    const { section, header } = build(['a', 'b', 'c'].map((value) => ({ value, timestamp: T0 })));
    expect(read(section, header, 2).map((m) => m.valueString())).toEqual(['c']);
  });

  it('refuses malformed sections with CORRUPT_MESSAGE, as the reference decoder does', () => {
    const { section, header } = build(['abc', 'def'].map((value) => ({ value, timestamp: T0 })));
    for (const broken of [section.subarray(0, section.length - 1), Uint8Array.from([...section, 0])]) {
      expect(() => decodeRecords(broken, header)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
      expect(() => read(broken, header)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    }
    const lying = section.slice();
    lying[0] = 0x7f; // first record claims 127 bytes
    expect(() => read(lying, header)).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    expect(() => read(section, { ...header, recordCount: 3 })).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    expect(() => read(section, { ...header, lastOffsetDelta: 0 })).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});
