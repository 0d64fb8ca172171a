/**
 * Range assignor (Kafka's RangeAssignor): topic by topic, the subscribed members in order each get
 * a contiguous range of partitions; the first `partitions % members` get one extra. Members
 * subscribing to the same topics get the same partition numbers of each, which co-partitioned
 * joins rely on. Not sticky: it ignores the current assignment.
 */
import { tpKey } from '../topic-partitions';
import { emptyAssignment, orderedMembers, type AssignmentSpec, type GroupAssignment, type PartitionAssignor } from './assignor';

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range';

  assign(spec: AssignmentSpec): GroupAssignment {
    const result = emptyAssignment(spec.members);
    const members = orderedMembers(spec.members);
    for (const topic of [...spec.partitions.keys()].sort()) {
      const count = spec.partitions.get(topic)!;
      const subscribed = members.filter((m) => m.topics.has(topic));
      if (subscribed.length === 0) continue;
      const base = Math.floor(count / subscribed.length);
      const extra = count % subscribed.length;
      let next = 0;
      subscribed.forEach((m, i) => {
        const n = base + (i < extra ? 1 : 0);
        const set = result.get(m.memberId)!;
        for (let k = 0; k < n; k++) set.add(tpKey(topic, next++));
      });
    }
    return result;
  }
}
