import { unwritten } from '../src/util/fs-io';

describe('unwritten (what a short writev leaves)', () => {
  const buffers = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5), Uint8Array.of(6, 7, 8, 9)];
  const flat = (bs: Uint8Array[]): number[] => bs.flatMap((b) => [...b]);

  it('continues exactly after the bytes written, whatever buffer boundary they end in', () => {
    for (let written = 0; written <= 9; written++) {
      expect(flat(unwritten(buffers, written))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].slice(written));
    }
  });

  it('views the original buffers instead of copying them', () => {
    const rest = unwritten(buffers, 4);
    expect(rest[0]!.buffer).toBe(buffers[1]!.buffer);
    expect(rest[1]).toBe(buffers[2]);
  });
});
