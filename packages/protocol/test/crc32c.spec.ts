import { buf as portable } from 'crc-32/crc32c';
import { crc32c, useNativeCrc32c } from '../src';

describe('crc32c', () => {
  it('is CRC-32C: the standard check value of "123456789" is 0xE3069283', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('checksums a range of a buffer', () => {
    const bytes = new TextEncoder().encode('xx123456789yy');
    expect(crc32c(bytes, 2, 11)).toBe(0xe3069283);
  });

  it('refuses a "native" implementation that computes something else, and uses a right one for large inputs only', () => {
    expect(useNativeCrc32c(() => 42)).toBe(false);
    const calls: number[] = [];
    const right = (b: Uint8Array) => {
      calls.push(b.length);
      return portable(b) >>> 0;
    };
    expect(useNativeCrc32c(right, 1000)).toBe(true);
    calls.length = 0;
    crc32c(new Uint8Array(999));
    crc32c(new Uint8Array(5000));
    expect(calls).toEqual([5000]);
  });
});
