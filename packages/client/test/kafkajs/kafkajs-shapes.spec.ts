/**
 * @strata/client/kafkajs next to KafkaJS itself (the kafkajs package, a devDependency used only
 * here): keys land on the partitions KafkaJS's partitioners choose, AssignerProtocol encodes the
 * bytes KafkaJS encodes, and the enums have KafkaJS's values. No broker: pure functions.
 */
import * as kafkajs from 'kafkajs';
import { AssignerProtocol, CompressionTypes, Partitioners, logLevel } from '../../src/kafkajs';
import { partitionForKey } from '../../src';

const keys = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `key-${i}` : i % 3 === 1 ? `ünïcödé-${i}-${'x'.repeat(i % 7)}` : String(i * 7919)));

describe('partitioners', () => {
  it('DefaultPartitioner: keys land where KafkaJS 2 puts them (the SDK round-robin partitioner places keys the same way)', () => {
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const differing = keys.filter((key) => theirs({ topic: 't', partitionMetadata, message: { key, value: null } }) !== partitionForKey(key, 12));
    expect(differing).toEqual([]);
  });

  it('LegacyPartitioner: keys land where KafkaJS 1.x put them', () => {
    const theirs = kafkajs.Partitioners.LegacyPartitioner();
    const ours = Partitioners.LegacyPartitioner();
    const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const differing = keys.filter((key) => theirs({ topic: 't', partitionMetadata, message: { key, value: null } }) !== ours({ topic: 't', partitionMetadata, message: { key, value: null } }));
    expect(differing).toEqual([]);
    // The legacy hash really differs from Java's for some keys (else this test would prove nothing).
    expect(keys.some((key) => ours({ topic: 't', partitionMetadata, message: { key, value: null } }) !== partitionForKey(key, 7))).toBe(true);
  });
});

describe('AssignerProtocol', () => {
  it('encodes MemberAssignment and MemberMetadata byte for byte as KafkaJS, and decodes KafkaJS bytes', () => {
    const assignment = { version: 0, assignment: { orders: [0, 2, 5], payments: [1] }, userData: Buffer.from('ud') };
    expect(AssignerProtocol.MemberAssignment.encode(assignment)).toEqual(kafkajs.AssignerProtocol.MemberAssignment.encode(assignment));
    expect(AssignerProtocol.MemberAssignment.decode(kafkajs.AssignerProtocol.MemberAssignment.encode(assignment))).toEqual(assignment);
    const metadata = { version: 1, topics: ['orders', 'payments'], userData: Buffer.alloc(0) };
    expect(AssignerProtocol.MemberMetadata.encode(metadata)).toEqual(kafkajs.AssignerProtocol.MemberMetadata.encode(metadata));
    expect(AssignerProtocol.MemberMetadata.decode(kafkajs.AssignerProtocol.MemberMetadata.encode(metadata))).toEqual(metadata);
  });
});

describe('enums', () => {
  it('logLevel and CompressionTypes have KafkaJS values', () => {
    expect({ ...logLevel }).toEqual({ ...kafkajs.logLevel });
    expect({ ...CompressionTypes }).toEqual({ None: kafkajs.CompressionTypes.None, GZIP: kafkajs.CompressionTypes.GZIP, Snappy: kafkajs.CompressionTypes.Snappy, LZ4: kafkajs.CompressionTypes.LZ4, ZSTD: kafkajs.CompressionTypes.ZSTD });
  });
});
