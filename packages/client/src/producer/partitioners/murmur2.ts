/**
 * murmur2 exactly as Apache Kafka's Java client computes it (org.apache.kafka.common.utils.Utils
 * .murmur2, seed 0x9747b28c), so a key lands on the partition Kafka's Java client and KafkaJS's
 * DefaultPartitioner would pick: toPositive(murmur2(keyBytes)) % numPartitions.
 * Strings hash as their UTF-8 bytes, as Kafka's StringSerializer encodes them.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** 32-bit murmur2 of `data` as a signed int, like Java's. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** murmur2 of a key given as a string (its UTF-8 bytes) or as bytes. */
export function murmur2Key(key: string | Uint8Array): number {
  if (typeof key !== 'string') return murmur2(key);
  // Encode into a reused buffer: no allocation per key on the hot path.
  if (key.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(key.length * 3, scratch.length * 2));
  const { written } = encoder.encodeInto(key, scratch);
  return murmur2(scratch.subarray(0, written));
}

/** The partition Kafka's default partitioner picks for `key` among `numPartitions`. */
export function partitionForKey(key: string | Uint8Array, numPartitions: number): number {
  return toPositive(murmur2Key(key)) % numPartitions;
}
