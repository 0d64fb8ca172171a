import { ByteReader, StrataProtocolError, uvarintSize, varlongSize, writeUVarint, writeVarlong, utf8Length, writeUtf8, decodeUtf8 } from '../src';

function roundTripU(value: number): number {
  const buf = new Uint8Array(8);
  const end = writeUVarint(buf, 0, value);
  expect(end).toBe(uvarintSize(value));
  const r = new ByteReader(buf, 0, end);
  const out = r.uvarint();
  expect(r.pos).toBe(end);
  return out;
}

function roundTripS(value: number): number {
  const buf = new Uint8Array(12);
  const end = writeVarlong(buf, 0, value);
  expect(end).toBe(varlongSize(value));
  const r = new ByteReader(buf, 0, end);
  return r.varlong();
}

describe('varints', () => {
  it('round-trips unsigned values across every width up to 2^31 - 1', () => {
    for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 2 ** 31 - 1]) {
      expect(roundTripU(v)).toBe(v);
    }
  });

  it('round-trips signed zig-zag values including large timestamps deltas', () => {
    for (const v of [0, -1, 1, -64, 64, -65, 1000, -1000, 2 ** 31, -(2 ** 31), 1_700_000_000_000, -1_700_000_000_000]) {
      expect(roundTripS(v)).toBe(v);
    }
  });

  it('rejects an unsigned varint longer than 5 bytes', () => {
    const r = new ByteReader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(() => r.uvarint()).toThrow(StrataProtocolError);
  });

  it('rejects an unsigned varint whose value is 2^31 or more (it would be a negative length)', () => {
    const buf = new Uint8Array(5);
    writeUVarint(buf, 0, 2 ** 31 - 1);
    buf[4] = 0x08; // one more bit: 2^31 + ...
    expect(() => new ByteReader(buf).uvarint()).toThrow(/larger than 2\^31/);
  });

  it('rejects a varint that runs past the end of the data', () => {
    expect(() => new ByteReader(Uint8Array.from([0x80, 0x80])).uvarint()).toThrow(/past the end/);
    expect(() => new ByteReader(Uint8Array.from([0xff])).varlong()).toThrow(/past the end/);
  });

  it('rejects a signed varint longer than 8 bytes', () => {
    const r = new ByteReader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(() => r.varlong()).toThrow(/longer than 8 bytes/);
  });

  it('refuses to hand out bytes beyond the end of its range', () => {
    const r = new ByteReader(new Uint8Array(10), 2, 6);
    expect(() => r.bytes(5)).toThrow(StrataProtocolError);
    expect(() => r.bytes(-1)).toThrow(StrataProtocolError);
    expect(r.bytes(4).length).toBe(4);
  });
});

describe('utf-8', () => {
  it('measures and writes multi-byte text exactly', () => {
    for (const s of ['', 'ascii', 'é', '日本語', '😀 emoji', 'a\u{10ffff}b']) {
      const n = utf8Length(s);
      expect(n).toBe(new TextEncoder().encode(s).length);
      const buf = new Uint8Array(n);
      expect(writeUtf8(buf, 0, s, n)).toBe(n);
      expect(decodeUtf8(buf)).toBe(s);
    }
  });

  it('rejects invalid UTF-8 with a typed error', () => {
    expect(() => decodeUtf8(Uint8Array.from([0x61, 0xff, 0xfe, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]))).toThrow(StrataProtocolError);
    expect(() => decodeUtf8(Uint8Array.from([0xc3]))).toThrow(StrataProtocolError);
  });
});
