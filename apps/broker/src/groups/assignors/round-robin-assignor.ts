/**
 * Round-robin assignor (Kafka's RoundRobinAssignor): every partition of every subscribed topic,
 * sorted by topic then partition, dealt in turn to the members in order, skipping members that do
 * not subscribe to the partition's topic. Not sticky: it ignores the current assignment.
 */
import { tpKey } from '../topic-partitions';
import { emptyAssignment, orderedMembers, type AssignmentSpec, type GroupAssignment, type PartitionAssignor } from './assignor';

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'round-robin';

  assign(spec: AssignmentSpec): GroupAssignment {
    const result = emptyAssignment(spec.members);
    const members = orderedMembers(spec.members);
    if (members.length === 0) return result;
    let cursor = 0;
    for (const topic of [...spec.partitions.keys()].sort()) {
      const count = spec.partitions.get(topic)!;
      if (!members.some((m) => m.topics.has(topic))) continue;
      for (let p = 0; p < count; p++) {
        while (!members[cursor % members.length]!.topics.has(topic)) cursor++;
        result.get(members[cursor % members.length]!.memberId)!.add(tpKey(topic, p));
        cursor++;
      }
    }
    return result;
  }
}
