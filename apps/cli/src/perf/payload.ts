/** Record values for `strata perf`: text-like, so that compression sees what log data looks like. */

const WORDS = 'order customer item price quantity shipped pending paid refund warehouse berlin paris tokyo lisbon status created updated total discount express standard'.split(' ');

/**
 * `count` (a power of two) distinct values of exactly `size` bytes: JSON-like text of words and
 * numbers from a seeded generator (compressible, not repetitive), the same on every run.
 */
export function sampleValues(size: number, count = 1024): Uint8Array[] {
  let seed = 42;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const enc = new TextEncoder();
  return Array.from({ length: count }, () => {
    let text = '';
    while (text.length < size) {
      const word = WORDS[Math.floor(random() * WORDS.length)]!;
      text += `"${word}":${Math.floor(random() * 100000)},`;
    }
    return enc.encode(text.slice(0, size));
  });
}
