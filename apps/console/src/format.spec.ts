import { formatBytes, formatMs, formatRate, hex, printableText, renderBytes } from './format';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('renderBytes', () => {
  it('pretty-prints JSON objects and arrays in auto view, and keeps other text as text', () => {
    expect(renderBytes(bytes('{"a":1,"b":[true]}'), 'auto')).toEqual({ view: 'json', text: '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}' });
    expect(renderBytes(bytes('[1]'), 'auto')).toEqual({ view: 'json', text: '[\n  1\n]' });
    expect(renderBytes(bytes('42'), 'auto')).toEqual({ view: 'text', text: '42' });
    expect(renderBytes(bytes('{not json'), 'auto')).toEqual({ view: 'text', text: '{not json' });
    expect(renderBytes(bytes('héllo\tworld\n'), 'auto')).toEqual({ view: 'text', text: 'héllo\tworld\n' });
  });

  it('shows bytes that are not printable UTF-8 as hex, whatever the view asked for', () => {
    for (const view of ['auto', 'text', 'json', 'hex'] as const) expect(renderBytes(new Uint8Array([0x00, 0xff, 0x10]), view)).toEqual({ view: 'hex', text: '00 ff 10' });
    expect(renderBytes(bytes('a\u0001b'), 'text').view).toBe('hex');
    expect(renderBytes(new Uint8Array([0xc3]), 'text').view).toBe('hex'); // a truncated UTF-8 sequence
  });

  it('honours an explicit view when it fits', () => {
    expect(renderBytes(bytes('{"a":1}'), 'text')).toEqual({ view: 'text', text: '{"a":1}' });
    expect(renderBytes(bytes('7'), 'json')).toEqual({ view: 'json', text: '7' });
    expect(renderBytes(bytes('AB'), 'hex')).toEqual({ view: 'hex', text: '41 42' });
  });

  it('writes hex 16 bytes a line', () => {
    expect(hex(new Uint8Array(17).fill(1))).toBe(`${Array(16).fill('01').join(' ')}\n01`);
    expect(printableText(new Uint8Array())).toBe('');
  });
});

describe('numbers', () => {
  it('writes sizes, durations and rates as an operator reads them', () => {
    expect([0, 1023, 1536, 10 * 1024 * 1024, 3 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.5 KiB', '10 MiB', '3.0 GiB']);
    expect([-1, 604_800_000, 3_600_000, 90_000, 1500].map(formatMs)).toEqual(['forever', '7 d', '1 h', '90 s', '1500 ms']);
    expect([0, 0.25, 9.96, 12.4, 12345].map(formatRate)).toEqual(['0', '0.3', '10', '12', '12,345']);
  });
});
