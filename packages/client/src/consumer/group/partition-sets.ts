/**
 * Sets of partitions keyed like SubscriptionState (`partitionKey(topic, partition)`), and their wire
 * form (`[{ topic, partitions }]`, topics sorted, partitions ascending, as the coordinator sends
 * them).
 */
import type { TopicPartitions, TopicPartitionsInit } from '@strata/protocol';
import { partitionKey, type TopicPartition } from '../subscription-state';

export type PartitionSet = Map<string, TopicPartition>;

export function fromWire(list: readonly TopicPartitions[]): PartitionSet {
  const out: PartitionSet = new Map();
  for (const t of list) for (const partition of t.partitions) out.set(partitionKey(t.topic, partition), { topic: t.topic, partition });
  return out;
}

export function toWire(partitions: Iterable<TopicPartition>): TopicPartitionsInit[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic.keys()].sort().map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

/** Sorted copies, for events and logs. */
export function sortedPartitions(partitions: Iterable<TopicPartition>): TopicPartition[] {
  return [...partitions].map((p) => ({ topic: p.topic, partition: p.partition })).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
