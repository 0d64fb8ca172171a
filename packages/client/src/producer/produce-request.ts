/** Building blocks of the sender's Produce requests. */
import type { ProducePartitionInit } from '@strata/protocol';
import type { PartitionBatch } from './partition-batch';
import type { PartitionQueue } from './record-accumulator';

/**
 * The Produce request carrying `batches`, each with the leader epoch the client's metadata names
 * (`epochOf`, -1: unknown), so a broker that no longer leads at that epoch refuses it
 * (FENCED_LEADER_EPOCH) instead of taking a write a newer leader will never have.
 */
export function produceBody(
  batches: readonly PartitionBatch[],
  acks: -1 | 0 | 1,
  epochOf: (b: PartitionBatch) => number = () => -1,
): { acks: number; timeoutMs: number; topics: Array<{ name: string; partitions: ProducePartitionInit[] }> } {
  const topics = new Map<string, ProducePartitionInit[]>();
  let timeoutMs = 0;
  for (const b of batches) {
    const list = topics.get(b.topic);
    const epoch = epochOf(b);
    const p: ProducePartitionInit = epoch >= 0 ? { partition: b.partition, records: b.bytes!, currentLeaderEpoch: epoch } : { partition: b.partition, records: b.bytes! };
    if (list) list.push(p);
    else topics.set(b.topic, [p]);
    if (b.timeoutMs > timeoutMs) timeoutMs = b.timeoutMs;
  }
  return { acks, timeoutMs, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) };
}

export function addTo(map: Map<number, PartitionQueue[]> | null, leader: number, q: PartitionQueue): Map<number, PartitionQueue[]> {
  const m = map ?? new Map<number, PartitionQueue[]>();
  const list = m.get(leader);
  if (list) list.push(q);
  else m.set(leader, [q]);
  return m;
}
