/**
 * Incremental rebalancing, measured from the application's side: while a 4th member joins a group
 * of 3 that consumes a steady stream, the partitions that stay with their owner keep being
 * delivered (no gap between consecutive deliveries longer than one fetch wait, maxWaitMs) and are
 * never revoked; only the partition that moves pauses, for its hand-over.
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
    // Hand-overs take about a second (members heartbeat every second, also while reconciling):
    // a member that paused its kept partitions during a rebalance would leave gaps far beyond maxWaitMs.
    env = await startGroupEnv({ 'group.consumer.heartbeat.interval.ms': 1_000, 'group.consumer.reconciling.heartbeat.interval.ms': 1_000, 'group.consumer.min.session.timeout.ms': 6_000 });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('a 4th member joining 3 that consume steadily never pauses a partition that does not move', async () => {
    const topic = uniqueTopic('incremental');
    await env.createTopic(topic, PARTITIONS);
    /** Per partition: [member, time] of every delivery. */
    const deliveries = new Map<number, Array<[string, number]>>();
    const revoked = new Map<string, number[]>();
    const lost: number[] = [];

    const start = async (name: string): Promise<Consumer> => {
      const c = await env.consumer({ groupId: 'steady', maxWaitMs: MAX_WAIT_MS, sessionTimeoutMs: 10_000, autoCommitInterval: 200 });
      c.subscribe({ topics: [topic], fromBeginning: true });
      c.on('consumer.rebalance', ({ payload }) => {
        revoked.set(name, [...(revoked.get(name) ?? []), ...payload.revoked.map((p) => p.partition)]);
        lost.push(...payload.lost.map((p) => p.partition));
      });
      await c.run({
        eachMessage: ({ partition }) => {
          let list = deliveries.get(partition);
          if (!list) deliveries.set(partition, (list = []));
          list.push([name, Date.now()]);
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
      const settledAt = Date.now();
      await until(() => [...deliveries.values()].filter((d) => d.some(([, t]) => t > settledAt)).length === PARTITIONS, 'every partition delivered');
      const before = owners(members);
      for (const name of members.keys()) revoked.set(name, []);

      const windowStart = Date.now();
      members.set('d', await start('d'));
      await until(() => members.get('d')!.assignment().length > 0 && owners(members).size === PARTITIONS, 'the new member holds a partition');
      const after = owners(members);
      const moved = [...before].filter(([p, owner]) => after.get(p) !== owner).map(([p]) => p);
      await until(() => moved.every((p) => (deliveries.get(p) ?? []).some(([name]) => name === 'd')), 'the new member consumes what it got');
      await new Promise((resolve) => setTimeout(resolve, 2 * MAX_WAIT_MS)); // keep measuring a little after the hand-over
      const windowEnd = Date.now();

      expect(moved.length).toBeGreaterThanOrEqual(1);
      expect(moved.length).toBeLessThan(PARTITIONS);
      expect(lost).toEqual([]);
      for (const [name, partitions] of revoked) {
        if (name === 'd') continue;
        for (const p of partitions) expect(moved).toContain(p); // only partitions that move are revoked
      }
      for (const [partition, owner] of before) {
        if (moved.includes(partition)) continue;
        const times = (deliveries.get(partition) ?? []).filter(([, t]) => t >= windowStart && t <= windowEnd).map(([name, t]) => {
          expect(name).toBe(owner);
          return t;
        });
        expect(times.length).toBeGreaterThan(1);
        let maxGap = 0;
        for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i]! - times[i - 1]!);
        expect({ partition, maxGap, withinOneFetchWait: maxGap <= MAX_WAIT_MS }).toMatchObject({ withinOneFetchWait: true });
      }
    } finally {
      producing = false;
      await stream;
    }
  });
});
