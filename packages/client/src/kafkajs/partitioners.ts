/**
 * KafkaJS's partitioners, translated to the SDK's:
 * - `Partitioners.DefaultPartitioner` (also `JavaCompatiblePartitioner`, and what KafkaJS 2 uses
 *   when none is given): murmur2 of the key as Java clients compute it, round-robin without a key:
 *   the SDK's 'round-robin' partitioner, which places keys exactly the same way;
 * - `Partitioners.LegacyPartitioner`: KafkaJS 1.x's murmur2 (which differs from Java's for some
 *   keys), round-robin without a key, so that keys keep the partitions KafkaJS 1.x gave them;
 * - a custom `createPartitioner`: called once; its function gets `{ topic, partitionMetadata,
 *   message }` with one entry per partition (leader and replicas are not known: 0).
 */
import type { PartitionerFn, PartitionerName } from '../producer/partitioners/partitioner';
import type { ProducerMessage } from '../producer/producer-types';
import { invalidOption } from './errors';
import type { Message } from './messages';

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number;
export type DefaultPartitioner = ICustomPartitioner;
export type LegacyPartitioner = ICustomPartitioner;

/** KafkaJS 1.x murmur2 (from the Java client 0.10.2, with JavaScript's number arithmetic). */
function legacyMurmur2(key: Uint8Array): number {
  const data = key;
  const length = data.length;
  const SEED = 0x9747b28c;
  const M = 0x5bd1e995;
  const R = 24;
  let h = SEED ^ length;
  const length4 = length / 4;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24);
    k *= M;
    k ^= k >>> R;
    k *= M;
    h *= M;
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

const utf8 = new TextEncoder();

function roundRobin(): (args: PartitionerArgs) => number {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) {
      const key = typeof message.key === 'string' ? utf8.encode(message.key) : message.key;
      return (legacyMurmur2(key) & 0x7fffffff) % partitionMetadata.length;
    }
    const n = (counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1;
    counters.set(topic, n & 0x7fffffff);
    return (n & 0x7fffffff) % partitionMetadata.length;
  };
}

const defaultPartitioner: DefaultPartitioner = () => {
  throw new Error('Partitioners.DefaultPartitioner is applied by the producer, not called');
};

export const Partitioners = Object.freeze({
  DefaultPartitioner: defaultPartitioner,
  JavaCompatiblePartitioner: defaultPartitioner,
  LegacyPartitioner: roundRobin,
});

/** The SDK partitioner for a KafkaJS `createPartitioner` option. */
export function toStrataPartitioner(create: ICustomPartitioner | undefined, originals: WeakMap<ProducerMessage, Message>): PartitionerName | PartitionerFn {
  if (create === undefined || create === defaultPartitioner) return 'round-robin';
  if (typeof create !== 'function') throw invalidOption('producer.createPartitioner', 'expected a function returning a partitioner function (e.g. Partitioners.DefaultPartitioner)');
  const fn = create();
  if (typeof fn !== 'function') throw invalidOption('producer.createPartitioner', 'createPartitioner() must return a function ({ topic, partitionMetadata, message }) => partition');
  const metadata = new Map<number, PartitionMetadata[]>();
  const partitionMetadata = (count: number): PartitionMetadata[] => {
    let list = metadata.get(count);
    if (!list) {
      list = Array.from({ length: count }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
      metadata.set(count, list);
    }
    return list;
  };
  return ({ topic, partitionCount, message }) => {
    const original = originals.get(message) ?? (message as Message);
    return fn({ topic, partitionMetadata: partitionMetadata(partitionCount), message: original });
  };
}
