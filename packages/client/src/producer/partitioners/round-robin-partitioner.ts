/**
 * Round-robin: keyed messages still go where murmur2 puts them (so a key keeps its partition);
 * messages without a key cycle through the partitions one by one, per topic.
 */
import { partitionForKey } from './murmur2';
import type { Partitioner, PartitionerArgs } from './partitioner';

export class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>();

  partition({ topic, partitionCount, message }: PartitionerArgs): number {
    const key = message.key;
    if (key !== null && key !== undefined) return partitionForKey(key, partitionCount);
    const n = this.counters.get(topic) ?? 0;
    this.counters.set(topic, (n + 1) % 0x40000000);
    return n % partitionCount;
  }
}
