/**
 * Sticky assignor (the default): balanced, and moves as few partitions as it can.
 *
 * Balance: when every member subscribes to the same topics, partition counts differ by at most
 * one between members. With different subscriptions, no partition is left with a member that has
 * two or more partitions more than another member subscribed to its topic.
 * Stickiness: a member keeps every partition of its previous target that still exists and that it
 * still subscribes to, unless it holds more than its share; only the excess moves, and free
 * partitions go to the members furthest below their share.
 *
 * Two paths give the same guarantees: a quota path in O(P + M log M) for the common case of one
 * shared subscription, and a general greedy path (most constrained partition first, then moves
 * from the fullest member to the emptiest eligible one until no move improves balance).
 */
import { compareTp, sortedTps, topicOf, tpKey, type TpKey } from '../topic-partitions';
import { orderedMembers, type AssignmentMember, type AssignmentSpec, type GroupAssignment, type PartitionAssignor } from './assignor';

export class StickyAssignor implements PartitionAssignor {
  readonly name = 'sticky';

  assign(spec: AssignmentSpec): GroupAssignment {
    const members = orderedMembers(spec.members);
    const result: GroupAssignment = new Map(members.map((m) => [m.memberId, new Set<TpKey>()]));
    if (members.length === 0) return result;
    const exists = (tp: TpKey) => {
      const n = spec.partitions.get(topicOf(tp));
      const p = Number(tp.slice(tp.lastIndexOf(':') + 1));
      return n !== undefined && p < n;
    };
    // Keep what each member had and may still have (the first claimant wins a duplicate).
    const taken = new Set<TpKey>();
    for (const m of members) {
      const kept = result.get(m.memberId)!;
      for (const tp of sortedTps(m.current)) {
        if (!taken.has(tp) && exists(tp) && m.topics.has(topicOf(tp))) {
          kept.add(tp);
          taken.add(tp);
        }
      }
    }
    const all: TpKey[] = [];
    for (const topic of [...spec.partitions.keys()].sort()) {
      if (!members.some((m) => m.topics.has(topic))) continue;
      const n = spec.partitions.get(topic)!;
      for (let p = 0; p < n; p++) all.push(tpKey(topic, p));
    }
    if (homogeneous(members, spec)) assignByQuota(members, result, all);
    else assignGreedy(members, result, all, taken);
    return result;
  }
}

function homogeneous(members: readonly AssignmentMember[], spec: AssignmentSpec): boolean {
  const first = members[0]!.topics;
  for (const topic of spec.partitions.keys()) if (!first.has(topic)) return false;
  return members.every((m) => m.topics.size === first.size && [...first].every((t) => m.topics.has(t)));
}

/** Everyone may take every partition: each member gets floor(P/M) or one more. */
function assignByQuota(members: readonly AssignmentMember[], result: GroupAssignment, all: readonly TpKey[]): void {
  const q = Math.floor(all.length / members.length);
  let extra = all.length % members.length;
  // Members keeping the most get the "+1" seats, so the fewest partitions move.
  const byKept = [...members].sort((a, b) => result.get(b.memberId)!.size - result.get(a.memberId)!.size);
  const quota = new Map<string, number>();
  for (const m of byKept) {
    const plusOne = extra > 0 && result.get(m.memberId)!.size > q;
    if (plusOne) extra--;
    quota.set(m.memberId, q + (plusOne ? 1 : 0));
  }
  for (const m of byKept) {
    if (extra > 0 && quota.get(m.memberId) === q) {
      quota.set(m.memberId, q + 1);
      extra--;
    }
  }
  const free = new Set(all);
  for (const m of members) {
    const set = result.get(m.memberId)!;
    const limit = quota.get(m.memberId)!;
    const keep = sortedTps(set).slice(0, limit);
    set.clear();
    for (const tp of keep) {
      set.add(tp);
      free.delete(tp);
    }
  }
  const pool = sortedTps(free);
  let next = 0;
  for (const m of members) {
    const set = result.get(m.memberId)!;
    const limit = quota.get(m.memberId)!;
    while (set.size < limit && next < pool.length) set.add(pool[next++]!);
  }
}

/** Subscriptions differ: place the most constrained partitions first, then even out. */
function assignGreedy(members: readonly AssignmentMember[], result: GroupAssignment, all: readonly TpKey[], taken: Set<TpKey>): void {
  const order = new Map(members.map((m, i) => [m.memberId, i]));
  const eligibleByTopic = new Map<string, AssignmentMember[]>();
  const eligible = (tp: TpKey): AssignmentMember[] => {
    const topic = topicOf(tp);
    let list = eligibleByTopic.get(topic);
    if (!list) eligibleByTopic.set(topic, (list = members.filter((m) => m.topics.has(topic))));
    return list;
  };
  const size = (m: AssignmentMember) => result.get(m.memberId)!.size;
  const emptiest = (candidates: readonly AssignmentMember[], except?: AssignmentMember): AssignmentMember | undefined => {
    let best: AssignmentMember | undefined;
    for (const c of candidates) {
      if (c === except) continue;
      if (!best || size(c) < size(best) || (size(c) === size(best) && order.get(c.memberId)! < order.get(best.memberId)!)) best = c;
    }
    return best;
  };
  const free = all.filter((tp) => !taken.has(tp));
  free.sort((a, b) => eligible(a).length - eligible(b).length || compareTp(a, b));
  for (const tp of free) result.get(emptiest(eligible(tp))!.memberId)!.add(tp);

  // Move from the fullest member to the emptiest eligible one while that narrows a gap of 2+.
  // Each move lowers the sum of squared sizes, so this ends.
  for (;;) {
    const fullestFirst = [...members].sort((a, b) => size(b) - size(a) || order.get(a.memberId)! - order.get(b.memberId)!);
    let moved = false;
    for (const from of fullestFirst) {
      const owned = sortedTps(result.get(from.memberId)!).reverse();
      for (const tp of owned) {
        const to = emptiest(eligible(tp), from);
        if (to && size(from) - size(to) > 1) {
          result.get(from.memberId)!.delete(tp);
          result.get(to.memberId)!.add(tp);
          moved = true;
          break;
        }
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}
