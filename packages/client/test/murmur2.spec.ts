/**
 * The key partitioner must put a key where Kafka's Java client (and KafkaJS's DefaultPartitioner)
 * put it. Hash fixtures: Apache Kafka's UtilsTest.testMurmur2 and the Java-generated table of
 * KafkaJS's Java-compatible partitioner tests. Partition fixtures follow from those published
 * hashes by Kafka's rule toPositive(hash) % numPartitions, computed here independently of our code.
 */
import { murmur2, partitionForKey, toPositive } from '../src';
import { murmur2Key } from '../src/producer/partitioners/murmur2';
import { DefaultPartitioner } from '../src/producer/partitioners/default-partitioner';
import { RoundRobinPartitioner } from '../src/producer/partitioners/round-robin-partitioner';

const KAFKA_UTILS_TEST: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

const KAFKAJS_JAVA_COMPATIBLE: Array<[string, number]> = [
  ['0', 971027396],
  ['1', -1993445489],
  ['128', -326012175],
  ['2187', -1508407203],
  ['16384', -325739742],
  ['78125', -1654490814],
  ['279936', 1462227128],
  ['823543', -2014198330],
  ['2097152', 607668903],
  ['4782969', -1182699775],
  ['10000000', -1830336757],
  ['19487171', -1603849305],
  ['35831808', -857013643],
  ['62748517', -1167431028],
  ['105413504', -381294639],
  ['170859375', -1658323481],
  ['100:48069', 1009543857],
];

/** Key -> partition pairs: Kafka's rule applied to the published hashes (not to our murmur2). */
const PARTITION_FIXTURES: Array<[string, number, number]> = [
  // [key, numPartitions, partition]
  ['21', 3, 0],
  ['foobar', 3, 0],
  ['abc', 3, 0],
  ['0', 3, 2],
  ['1', 3, 0],
  ['128', 6, 5],
  ['2187', 10, 5],
  ['100:48069', 12, 9],
  ['a-little-bit-long-string', 7, 1],
  ['279936', 4, 0],
];

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('murmur2 (Kafka-compatible)', () => {
  it.each([...KAFKA_UTILS_TEST, ...KAFKAJS_JAVA_COMPATIBLE])('hashes %p like Kafka: %p', (key, hash) => {
    expect(murmur2(utf8(key))).toBe(hash);
    expect(murmur2Key(key)).toBe(hash);
  });

  it('has partition fixtures consistent with the published hashes', () => {
    const published = new Map([...KAFKA_UTILS_TEST, ...KAFKAJS_JAVA_COMPATIBLE]);
    for (const [key, n, partition] of PARTITION_FIXTURES) expect((published.get(key)! & 0x7fffffff) % n).toBe(partition);
  });

  it.each(PARTITION_FIXTURES)('puts key %p on partition %#: of %p', (key, n, partition) => {
    expect(partitionForKey(key, n)).toBe(partition);
    expect(partitionForKey(utf8(key), n)).toBe(partition);
  });

  it('toPositive clears the sign bit like Kafka (not Math.abs)', () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
    expect(toPositive(5)).toBe(5);
  });

  it('hashes strings as their UTF-8 bytes, whatever their length', () => {
    for (const key of ['', 'é', '日本語のキー', '🙂 emoji', 'x'.repeat(1000), 'é'.repeat(400)]) {
      expect(murmur2Key(key)).toBe(murmur2(utf8(key)));
    }
  });
});

describe('DefaultPartitioner', () => {
  const message = (key: string | Uint8Array | null) => ({ key, value: 'v' });

  it('hashes keyed messages, empty keys included', () => {
    const p = new DefaultPartitioner();
    expect(p.partition({ topic: 't', partitionCount: 3, message: message('0') })).toBe(2);
    expect(p.partition({ topic: 't', partitionCount: 7, message: message(new Uint8Array(0)) })).toBe(toPositive(murmur2(new Uint8Array(0))) % 7);
  });

  it('sticks to one partition for unkeyed messages until its batch there closes, then moves', () => {
    let r = 0;
    const randoms = [0.5, 0.0, 0.99];
    const p = new DefaultPartitioner(() => randoms[r++ % randoms.length]!);
    const first = p.partition({ topic: 't', partitionCount: 4, message: message(null) });
    for (let i = 0; i < 10; i++) expect(p.partition({ topic: 't', partitionCount: 4, message: message(null) })).toBe(first);
    p.onBatchClosed((first + 1) % 4 === 0 ? 't-other' : 't', (first + 1) % 4); // another partition's batch: no move
    expect(p.partition({ topic: 't', partitionCount: 4, message: message(null) })).toBe(first);
    p.onBatchClosed('t', first);
    const second = p.partition({ topic: 't', partitionCount: 4, message: message(null) });
    expect(second).not.toBe(first);
    expect(second).toBeGreaterThanOrEqual(0);
    expect(second).toBeLessThan(4);
  });
});

describe('RoundRobinPartitioner', () => {
  it('cycles unkeyed messages through the partitions per topic and hashes keyed ones', () => {
    const p = new RoundRobinPartitioner();
    const seq = Array.from({ length: 6 }, () => p.partition({ topic: 'a', partitionCount: 3, message: { value: null } }));
    expect(seq).toEqual([0, 1, 2, 0, 1, 2]);
    expect(p.partition({ topic: 'b', partitionCount: 3, message: { value: null } })).toBe(0);
    expect(p.partition({ topic: 'a', partitionCount: 3, message: { key: 'foobar', value: null } })).toBe(0);
  });
});
