import { topicOf, tpKey, type TpKey } from '../topic-partitions';
import { builtInAssignors, RangeAssignor, RoundRobinAssignor, StickyAssignor } from './index';
import type { AssignmentMember, AssignmentSpec, GroupAssignment } from './assignor';

function member(memberId: string, topics: string[], current: TpKey[] = [], instanceId = ''): AssignmentMember {
  return { memberId, instanceId, topics: new Set(topics), current: new Set(current) };
}

function spec(members: AssignmentMember[], partitions: Record<string, number>): AssignmentSpec {
  return { members, partitions: new Map(Object.entries(partitions)) };
}

/** Every partition of a subscribed topic goes to exactly one subscriber; every member has an entry. */
function expectValid(s: AssignmentSpec, result: GroupAssignment): void {
  expect([...result.keys()].sort()).toEqual(s.members.map((m) => m.memberId).sort());
  const seen = new Map<TpKey, string>();
  for (const [id, set] of result) {
    const m = s.members.find((x) => x.memberId === id)!;
    for (const tp of set) {
      expect(m.topics.has(topicOf(tp))).toBe(true);
      expect(seen.has(tp)).toBe(false);
      seen.set(tp, id);
    }
  }
  for (const [topic, n] of s.partitions) {
    if (!s.members.some((m) => m.topics.has(topic))) continue;
    for (let p = 0; p < n; p++) expect(seen.has(tpKey(topic, p))).toBe(true);
  }
}

function sizes(result: GroupAssignment): number[] {
  return [...result.values()].map((s) => s.size);
}

function sorted(set: Set<TpKey> | undefined): TpKey[] {
  return [...(set ?? [])].sort();
}

/** A deterministic pseudo-random generator, so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

describe('AssignorRegistry', () => {
  it('offers range, round-robin and sticky by name', () => {
    const r = builtInAssignors();
    expect(r.names().sort()).toEqual(['range', 'round-robin', 'sticky']);
    expect(r.get('sticky')).toBeInstanceOf(StickyAssignor);
    expect(r.get('nope')).toBeUndefined();
  });
});

describe.each([new RangeAssignor(), new RoundRobinAssignor(), new StickyAssignor()])('$name assignor', (assignor) => {
  it('gives a lone member every partition, and three members one partition each of three', () => {
    const one = spec([member('a', ['t'])], { t: 3 });
    expect(sorted(assignor.assign(one).get('a'))).toEqual(['t:0', 't:1', 't:2']);
    const three = spec([member('b1', ['t']), member('b2', ['t']), member('b3', ['t'])], { t: 3 });
    const result = assignor.assign(three);
    expectValid(three, result);
    expect(sizes(result)).toEqual([1, 1, 1]);
  });

  it('returns an empty entry for members without partitions, and nothing for unsubscribed topics', () => {
    const s = spec([member('a', ['t']), member('b', ['t']), member('c', ['u'])], { t: 1, u: 0 });
    const result = assignor.assign(s);
    expectValid(s, result);
    expect(result.get('c')!.size).toBe(0);
    expect(sizes(result).reduce((x, y) => x + y, 0)).toBe(1);
  });

  it('is a pure function of its input', () => {
    const s = spec([member('a', ['t', 'u'], ['t:1']), member('b', ['t'], ['t:0', 'u:0']), member('c', ['u'])], { t: 5, u: 4 });
    expect(assignor.assign(s)).toEqual(assignor.assign(s));
  });

  it('stays valid and balanced within one for random shared subscriptions', () => {
    const random = rng(7);
    for (let round = 0; round < 50; round++) {
      const topics = { a: 1 + Math.floor(random() * 9), b: Math.floor(random() * 7) };
      const n = 1 + Math.floor(random() * 8);
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, ['a', 'b']));
      const s = spec(members, topics);
      const result = assignor.assign(s);
      expectValid(s, result);
      if (assignor.name !== 'range') expect(Math.max(...sizes(result)) - Math.min(...sizes(result))).toBeLessThanOrEqual(1);
    }
  });
});

describe('range assignor', () => {
  it('gives contiguous ranges, the first members one extra, and the same numbers of co-partitioned topics', () => {
    const s = spec([member('a', ['x', 'y']), member('b', ['x', 'y']), member('c', ['x', 'y'])], { x: 7, y: 7 });
    const result = new RangeAssignor().assign(s);
    expect(sorted(result.get('a'))).toEqual(['x:0', 'x:1', 'x:2', 'y:0', 'y:1', 'y:2']);
    expect(sorted(result.get('b'))).toEqual(['x:3', 'x:4', 'y:3', 'y:4']);
    expect(sorted(result.get('c'))).toEqual(['x:5', 'x:6', 'y:5', 'y:6']);
  });

  it('orders static members by instance id, so a restarted member keeps its range', () => {
    const s = spec([member('zzz', ['t'], [], 'i-1'), member('aaa', ['t'], [], 'i-2')], { t: 2 });
    const result = new RangeAssignor().assign(s);
    expect(sorted(result.get('zzz'))).toEqual(['t:0']);
    expect(sorted(result.get('aaa'))).toEqual(['t:1']);
  });
});

describe('round-robin assignor', () => {
  it('deals partitions in turn and skips members not subscribed to the topic', () => {
    const s = spec([member('a', ['x', 'y']), member('b', ['x'])], { x: 3, y: 2 });
    const result = new RoundRobinAssignor().assign(s);
    expectValid(s, result);
    expect(sorted(result.get('a'))).toEqual(['x:0', 'x:2', 'y:0', 'y:1']);
    expect(sorted(result.get('b'))).toEqual(['x:1']);
  });
});

describe('sticky assignor', () => {
  const sticky = new StickyAssignor();

  it('moves only what a joining member needs: no member loses a partition unless it is above its share', () => {
    const before = new Map([
      ['a', ['t:0', 't:1', 't:2']],
      ['b', ['t:3', 't:4', 't:5']],
      ['c', ['t:6', 't:7', 't:8']],
    ]);
    const members = [...before].map(([id, current]) => member(id, ['t'], current));
    const s = spec([...members, member('d', ['t'])], { t: 9 });
    const result = sticky.assign(s);
    expectValid(s, result);
    expect(sizes(result).sort()).toEqual([2, 2, 2, 3]);
    let moved = 0;
    for (const [id, had] of before) {
      const now = result.get(id)!;
      for (const tp of now) expect(had).toContain(tp); // nobody gains a partition from someone else
      moved += had.filter((tp) => !now.has(tp)).length;
    }
    expect(moved).toBe(2); // the minimum: d needs 2 of 9
  });

  it('moves only the leaving member\'s partitions when a member leaves', () => {
    const s = spec([member('a', ['t'], ['t:0', 't:1']), member('c', ['t'], ['t:4', 't:5'])], { t: 6 });
    const result = sticky.assign(s);
    expectValid(s, result);
    expect(sorted(result.get('a'))).toEqual(expect.arrayContaining(['t:0', 't:1']));
    expect(sorted(result.get('c'))).toEqual(expect.arrayContaining(['t:4', 't:5']));
    expect(sizes(result)).toEqual([3, 3]);
  });

  it('drops partitions of topics that disappeared or were unsubscribed, and keeps the rest', () => {
    const s = spec([member('a', ['t'], ['t:0', 'gone:0', 'u:0']), member('b', ['t', 'u'], ['t:1'])], { t: 2, u: 1 });
    const result = sticky.assign(s);
    expectValid(s, result);
    expect(sorted(result.get('a'))).toEqual(['t:0']);
    expect(sorted(result.get('b'))).toEqual(['t:1', 'u:0']);
  });

  it('resolves a partition claimed by two members to one of them', () => {
    const s = spec([member('a', ['t'], ['t:0', 't:1']), member('b', ['t'], ['t:1'])], { t: 2 });
    const result = sticky.assign(s);
    expectValid(s, result);
    expect(sizes(result)).toEqual([1, 1]);
  });

  it('is stable: assigning again from its own output moves nothing', () => {
    const random = rng(11);
    for (let round = 0; round < 30; round++) {
      const n = 1 + Math.floor(random() * 6);
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, random() < 0.5 ? ['a', 'b'] : ['a']));
      const s = spec(members, { a: Math.floor(random() * 12), b: Math.floor(random() * 5) });
      const first = sticky.assign(s);
      const again = sticky.assign(spec(members.map((m) => ({ ...m, current: first.get(m.memberId)! })), { a: s.partitions.get('a')!, b: s.partitions.get('b')! }));
      expect(again).toEqual(first);
    }
  });

  it('with different subscriptions, leaves no partition with a member two or more above another eligible member', () => {
    const random = rng(3);
    for (let round = 0; round < 60; round++) {
      const topicNames = ['a', 'b', 'c'];
      const partitions: Record<string, number> = { a: Math.floor(random() * 8), b: Math.floor(random() * 8), c: Math.floor(random() * 8) };
      const n = 2 + Math.floor(random() * 5);
      const members = Array.from({ length: n }, (_, i) => {
        const topics = topicNames.filter(() => random() < 0.6);
        const current: TpKey[] = [];
        for (const t of topicNames) for (let p = 0; p < partitions[t]!; p++) if (random() < 0.2) current.push(tpKey(t, p));
        return member(`m${i}`, topics.length > 0 ? topics : ['a'], current);
      });
      const s = spec(members, partitions);
      const result = sticky.assign(s);
      expectValid(s, result);
      for (const [from, set] of result) {
        for (const tp of set) {
          for (const other of members) {
            if (other.memberId === from || !other.topics.has(topicOf(tp))) continue;
            expect(set.size - result.get(other.memberId)!.size).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });

  it('keeps every valid partition of the previous target when the group is already balanced', () => {
    const random = rng(5);
    for (let round = 0; round < 30; round++) {
      const n = 1 + Math.floor(random() * 5);
      const total = Math.floor(random() * 20);
      const members = Array.from({ length: n }, (_, i) => member(`m${i}`, ['t']));
      const first = sticky.assign(spec(members, { t: total }));
      // Shuffle nothing, add one partition: only the new partition is placed, nothing moves.
      const next = sticky.assign(spec(members.map((m) => ({ ...m, current: first.get(m.memberId)! })), { t: total + 1 }));
      for (const [id, had] of first) for (const tp of had) expect(next.get(id)!.has(tp)).toBe(true);
    }
  });
});
