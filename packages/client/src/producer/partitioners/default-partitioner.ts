/**
 * The default partitioner: a message with a key goes to toPositive(murmur2(key)) % partitionCount
 * (Kafka's Java client and KafkaJS's DefaultPartitioner agree); a message without a key (null or
 * undefined; an empty key is a key) sticks to one partition per topic until the records sent
 * together go out, then moves to another partition at random (Kafka's sticky partitioning).
 * Not thread-safe; one instance per producer.
 */
import { partitionForKey } from './murmur2';
import type { Partitioner, PartitionerArgs } from './partitioner';

export class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  partition({ topic, partitionCount, message }: PartitionerArgs): number {
    const key = message.key;
    if (key !== null && key !== undefined) return partitionForKey(key, partitionCount);
    let p = this.sticky.get(topic);
    if (p === undefined || p >= partitionCount) {
      p = Math.floor(this.random() * partitionCount);
      this.sticky.set(topic, p);
    }
    return p;
  }

  onSent(topic: string, partitionCount: number): void {
    const p = this.sticky.get(topic);
    if (p === undefined) return;
    // Another partition at random, never the same one twice in a row.
    const next = partitionCount > 1 ? (p + 1 + Math.floor(this.random() * (partitionCount - 1))) % partitionCount : 0;
    this.sticky.set(topic, next);
  }
}
