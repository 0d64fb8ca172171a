import { BATCH_HEADER_SIZE, RecordBatchBuilder, StrataProtocolError, decodeRecords, isUtf8, readBatchHeader, validateRecords, writeUVarint } from '../src';

const T0 = 1_700_000_000_000;

function batchWith(records: Array<{ key: string | null; value: string | null; headers?: Array<{ key: string; value: string | null }> }>): Uint8Array {
  const b = new RecordBatchBuilder({ initialCapacity: 64 });
  records.forEach((r, i) => b.append({ ...r, timestamp: T0 + i }));
  return b.build().slice();
}

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(StrataProtocolError);
    return (e as StrataProtocolError).code;
  }
}

/** Section and header of a batch. */
function parts(batch: Uint8Array) {
  return { header: readBatchHeader(batch), section: batch.subarray(BATCH_HEADER_SIZE) };
}

describe('validateRecords', () => {
  it('accepts what the builder writes: keys, null values, headers with null values', () => {
    const { header, section } = parts(batchWith([{ key: 'a', value: 'x' }, { key: null, value: null }, { key: 'c', value: 'z', headers: [{ key: 'h', value: null }, { key: 'i', value: 'v' }] }]));
    expect(() => validateRecords(section, header)).not.toThrow();
  });

  it('refuses a key length that runs past the record (a lie the CRC does not catch)', () => {
    const { header, section } = parts(batchWith([{ key: 'abc', value: 'value' }]));
    const bad = section.slice();
    // record: length, ts delta, offset delta, key length (4 = 3 bytes) -> claim 40 bytes
    const keyLengthAt = 3;
    expect(bad[keyLengthAt]).toBe(4);
    bad[keyLengthAt] = 41;
    expect(codeOf(() => validateRecords(bad, header))).toBe('CORRUPT_MESSAGE');
  });

  it('refuses a header count larger than the headers present', () => {
    const { header, section } = parts(batchWith([{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }] }]));
    const bad = section.slice();
    const countAt = bad.indexOf(1, 1 + 1 + 1 + 1 + 1 + 1 + 1); // after key "k" and value "v": the header count 1
    bad[countAt] = 2;
    expect(codeOf(() => validateRecords(bad, header))).toBe('CORRUPT_MESSAGE');
  });

  it('refuses record counts and offset deltas that disagree with the records', () => {
    const { header, section } = parts(batchWith([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]));
    expect(codeOf(() => validateRecords(section, { ...header, recordCount: 3, lastOffsetDelta: 2 }))).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => validateRecords(section, { ...header, recordCount: 1, lastOffsetDelta: 0 }))).toBe('CORRUPT_MESSAGE');
    expect(codeOf(() => validateRecords(section, { ...header, lastOffsetDelta: 5 }))).toBe('CORRUPT_MESSAGE');
    const skipped = section.slice();
    // second record's offset delta 1 -> 2: not sequential
    const second = section[0]! + 1;
    expect(skipped[second + 2]).toBe(1);
    skipped[second + 2] = 2;
    expect(codeOf(() => validateRecords(skipped, header))).toBe('CORRUPT_MESSAGE');
  });

  it('refuses a header maxTimestamp that is not the largest record timestamp', () => {
    const { header, section } = parts(batchWith([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]));
    expect(codeOf(() => validateRecords(section, { ...header, maxTimestamp: header.maxTimestamp + 1 }))).toBe('CORRUPT_MESSAGE');
    expect(() => validateRecords(section, { ...header, maxTimestamp: header.maxTimestamp + 1 }, { checkTimestamps: false })).not.toThrow();
  });

  it('refuses over-long varints', () => {
    const section = new Uint8Array(16).fill(0xff);
    expect(codeOf(() => validateRecords(section, { recordCount: 1, lastOffsetDelta: 0, baseTimestamp: T0, maxTimestamp: T0 }))).toBe('CORRUPT_MESSAGE');
    const tooBig = new Uint8Array(8);
    writeUVarint(tooBig, 0, 2 ** 31 - 1);
    expect(codeOf(() => validateRecords(tooBig, { recordCount: 1, lastOffsetDelta: 0, baseTimestamp: T0, maxTimestamp: T0 }))).toBe('CORRUPT_MESSAGE');
  });

  it('never accepts a section that decodeRecords cannot decode (5,000 random mutations)', () => {
    const { header, section } = parts(batchWith([{ key: 'key-1', value: 'value-1', headers: [{ key: 'h', value: 'x' }] }, { key: null, value: 'v2' }, { key: 'k3', value: null }]));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const mutated = section.slice();
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      let ok = true;
      try {
        validateRecords(mutated, header, { checkTimestamps: false });
      } catch {
        ok = false;
      }
      if (ok) {
        accepted++;
        expect(() => decodeRecords(mutated, header)).not.toThrow();
      }
    }
    expect(accepted).toBeGreaterThan(0); // some mutations only change bytes inside values
  });

  it('judges UTF-8 exactly as a fatal TextDecoder does (20,000 random strings)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90];
    for (let i = 0; i < 20000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 6) }, () => interesting[Math.floor(random() * interesting.length)]!);
      let valid = true;
      try {
        decoder.decode(bytes);
      } catch {
        valid = false;
      }
      expect([i, isUtf8(bytes, 0, bytes.length)]).toEqual([i, valid]);
    }
  });
});
