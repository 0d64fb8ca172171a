import { ConsumerMessage } from '@strata/client';
import { formatText, toJsonRecord } from './record-format';

const bytes = (s: string) => Buffer.from(s);
const message = (key: Buffer | null, value: Buffer | null) =>
  new ConsumerMessage('t', 2, 41, 1_700_000_000_000, key, value, [
    { key: 'h', value: bytes('v') },
    { key: 'n', value: null },
  ]);

describe('formatText', () => {
  it('prints partition, offset, key and value separated by tabs, nothing for null', () => {
    expect(formatText(message(bytes('k'), bytes('v')), { kind: 'fields' })).toBe('2\t41\tk\tv');
    expect(formatText(message(null, null), { kind: 'fields' })).toBe('2\t41\t\t');
  });

  it('prints key<sep>value, or the value alone for a null key', () => {
    expect(formatText(message(bytes('k'), bytes('v')), { kind: 'key-value', separator: '=' })).toBe('k=v');
    expect(formatText(message(null, bytes('v')), { kind: 'key-value', separator: '=' })).toBe('v');
    expect(formatText(message(bytes('k'), bytes('v')), { kind: 'value' })).toBe('v');
  });

  it('keeps a byte order mark', () => {
    expect(formatText(message(null, bytes('\uFEFFx')), { kind: 'value' })).toBe('\uFEFFx');
  });
});

describe('toJsonRecord', () => {
  it('includes topic, partition, offset, timestamp, key, value and headers', () => {
    expect(toJsonRecord(message(bytes('k'), bytes('é')))).toEqual({
      topic: 't',
      partition: 2,
      offset: 41,
      timestamp: 1_700_000_000_000,
      key: 'k',
      value: 'é',
      headers: [
        { key: 'h', value: 'v' },
        { key: 'n', value: null },
      ],
    });
  });

  it('keeps bytes that are not UTF-8 exact, as base64', () => {
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    expect(toJsonRecord(message(null, binary)).value).toEqual({ base64: Buffer.from(binary).toString('base64') });
  });
});
