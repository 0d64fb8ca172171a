/**
 * Incremental rebalancing, seen from the application's side: while a 4th member joins a group of
 * 3 that consumes a steady stream, a partition that stays with its owner is never revoked, lost or
 * handed out again, and its records keep arriving at that owner alone, in offset order, each
 * exactly once; only the partitions that move change hands, and none of their records is skipped.
 * (Ownership and order, not timings: how fast hand-overs are is measured by the rebalance bench.)
 */
import type { Consumer } from '../../src';
import { until } from '../helpers/collect';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { uniqueTopic } from '../helpers/test-broker';

const MAX_WAIT_MS = 500;
const PARTITIONS = 6;

describe('incremental rebalance', () => {
  let env: GroupEnv;
  beforeAll(async () => {
    env = await startGroupEnv();
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('a 4th member joining 3 that consume steadily never pauses a partition that does not move', async () => {
    const topic = uniqueTopic('incremental');
    await env.createTopic(topic, PARTITIONS);
    /** Per partition: [member, offset] of every delivery, in delivery order. */
    const deliveries = new Map<number, Array<[string, number]>>();
    const revoked = new Map<string, number[]>();
    /** Partitions each member was handed (again) after the group first settled. */
    const reassigned = new Map<string, number[]>();
    let settled = false;
    const lost: number[] = [];

    const start = async (name: string): Promise<Consumer> => {
      const c = await env.consumer({ groupId: 'steady', maxWaitMs: MAX_WAIT_MS, sessionTimeoutMs: 10_000, autoCommitInterval: 200 });
      c.subscribe({ topics: [topic], fromBeginning: true });
      c.on('consumer.rebalance', ({ payload }) => {
        revoked.set(name, [...(revoked.get(name) ?? []), ...payload.revoked.map((p) => p.partition)]);
        if (settled) reassigned.set(name, [...(reassigned.get(name) ?? []), ...payload.assigned.map((p) => p.partition)]);
        lost.push(...payload.lost.map((p) => p.partition));
      });
      await c.run({
        eachMessage: ({ partition, message }) => {
          let list = deliveries.get(partition);
          if (!list) deliveries.set(partition, (list = []));
          list.push([name, message.offset]);
        },
      });
      return c;
    };
    const owners = (members: ReadonlyMap<string, Consumer>): Map<number, string> => {
      const out = new Map<number, string>();
      for (const [name, c] of members) for (const tp of c.assignment()) out.set(tp.partition, name);
      return out;
    };

    // A steady stream: one record per partition every 10 ms.
    let producing = true;
    const stream = (async () => {
      for (let n = 0; producing; n++) {
        await env.produce(topic, Array.from({ length: PARTITIONS }, (_, partition) => ({ value: `r${n}`, partition })));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    try {
      const members = new Map<string, Consumer>();
      for (const name of ['a', 'b', 'c']) members.set(name, await start(name));
      await until(() => [...members.values()].every((c) => c.assignment().length === 2), 'three members with two partitions each');
      settled = true;
      const mark = new Map([...deliveries].map(([p, d]) => [p, d.length]));
      await until(() => [...deliveries].filter(([p, d]) => d.length > (mark.get(p) ?? 0)).length === PARTITIONS, 'every partition delivered');
      const before = owners(members);
      for (const name of members.keys()) revoked.set(name, []);

      /** Per partition: how many deliveries there were when the 4th member started. */
      const windowStart = new Map([...deliveries].map(([p, d]) => [p, d.length]));
      members.set('d', await start('d'));
      await until(() => members.get('d')!.assignment().length > 0 && owners(members).size === PARTITIONS, 'the new member holds a partition');
      const after = owners(members);
      const moved = [...before].filter(([p, owner]) => after.get(p) !== owner).map(([p]) => p);
      await until(() => moved.every((p) => (deliveries.get(p) ?? []).some(([name]) => name === 'd')), 'the new member consumes what it got');
      // Every partition delivers a few more records after the hand-over before the window closes.
      const handedOver = new Map([...deliveries].map(([p, d]) => [p, d.length]));
      await until(() => [...deliveries].every(([p, d]) => d.length >= (handedOver.get(p) ?? 0) + 3), 'records after the hand-over');

      expect(moved.length).toBeGreaterThanOrEqual(1);
      expect(moved.length).toBeLessThan(PARTITIONS);
      expect(lost).toEqual([]);
      for (const [name, partitions] of revoked) {
        if (name === 'd') continue;
        for (const p of partitions) expect(moved).toContain(p); // only partitions that move are revoked
      }
      for (const [name, partitions] of reassigned) {
        if (name !== 'd') expect({ name, handedOutAgain: partitions }).toEqual({ name, handedOutAgain: [] }); // kept ones are never dropped and re-added
      }
      for (const [partition, owner] of before) {
        const window = (deliveries.get(partition) ?? []).slice(windowStart.get(partition) ?? 0);
        const offsets = window.map(([, offset]) => offset);
        if (moved.includes(partition)) {
          // Handed over without a hole: the new owner starts at or before where the old one stopped.
          const firstOfD = window.findIndex(([name]) => name === 'd');
          expect(window.slice(0, firstOfD).every(([name]) => name === owner)).toBe(true);
          expect(window.slice(firstOfD).every(([name]) => name === 'd')).toBe(true);
          for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeLessThanOrEqual(offsets[i - 1]! + 1);
          continue;
        }
        expect(window.length).toBeGreaterThan(1);
        expect(window.every(([name]) => name === owner)).toBe(true);
        for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBe(offsets[i - 1]! + 1); // in order, each exactly once
      }
    } finally {
      producing = false;
      await stream;
    }
  });
});
