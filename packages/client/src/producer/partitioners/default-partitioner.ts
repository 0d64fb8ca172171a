/**
 * The default partitioner: a message with a key goes to toPositive(murmur2(key)) % partitionCount
 * (Kafka's Java client and KafkaJS's DefaultPartitioner agree); a message without a key (null or
 * undefined; an empty key is a key) sticks to one partition per topic until the batch it fills
 * there closes (full, or taken by the sender), then moves to another partition at random (Kafka's
 * sticky partitioning, KIP-480): unkeyed records make few, full batches.
 * Not thread-safe; one instance per producer.
 */
import { partitionForKey } from './murmur2';
import type { Partitioner, PartitionerArgs } from './partitioner';

interface Sticky {
  partition: number;
  count: number;
}

export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, Sticky>();

  constructor(private readonly random: () => number = Math.random) {}

  partition({ topic, partitionCount, message }: PartitionerArgs): number {
    const key = message.key;
    if (key !== null && key !== undefined) return partitionForKey(key, partitionCount);
    let s = this.sticky.get(topic);
    if (s === undefined) this.sticky.set(topic, (s = { partition: Math.floor(this.random() * partitionCount), count: partitionCount }));
    else if (s.count !== partitionCount || s.partition >= partitionCount) {
      s.count = partitionCount;
      s.partition = Math.floor(this.random() * partitionCount);
    }
    return s.partition;
  }

  onBatchClosed(topic: string, partition: number): void {
    const s = this.sticky.get(topic);
    if (s === undefined || s.partition !== partition) return;
    // Another partition at random, never the same one twice in a row.
    s.partition = s.count > 1 ? (partition + 1 + Math.floor(this.random() * (s.count - 1))) % s.count : 0;
  }
}
