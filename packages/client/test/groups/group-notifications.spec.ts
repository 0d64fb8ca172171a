/**
 * Rebalances move on GroupChanged pushes, not on heartbeat intervals: the broker here tells members
 * to heartbeat only every 60 s (settled or reconciling), so anything the group reaches within the
 * test's limits it reached because the coordinator pushed GroupChanged and the members heartbeated
 * at once. Assertions are about ownership and order.
 */
import type { Consumer } from '../../src';
import { until } from '../helpers/collect';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { uniqueTopic } from '../helpers/test-broker';

const SLOW_HEARTBEATS = {
  'group.consumer.heartbeat.interval.ms': 60_000,
  'group.consumer.reconciling.heartbeat.interval.ms': 60_000,
  'group.consumer.min.session.timeout.ms': 120_000,
  'group.consumer.session.timeout.ms': 120_000,
};

describe('group notifications', () => {
  let env: GroupEnv;
  beforeAll(async () => {
    env = await startGroupEnv(SLOW_HEARTBEATS);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  const holds = (c: Consumer): number[] => c.assignment().map((tp) => tp.partition).sort();

  it('three members started together end with one partition each, and a clean leave hands its partition on', async () => {
    const topic = uniqueTopic('notified');
    await env.createTopic(topic, 3);
    const seen = new Map<Consumer, Array<[number, number]>>();
    const members = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = await env.consumer({ groupId: 'notified', sessionTimeoutMs: 120_000, maxWaitMs: 100 });
        c.subscribe({ topics: [topic], fromBeginning: true });
        seen.set(c, []);
        await c.run({ eachMessage: ({ partition, message }) => void seen.get(c)!.push([partition, message.offset]) });
        return c;
      }),
    );
    await until(() => members.every((c) => holds(c).length === 1), 'one partition each (without any heartbeat interval elapsing)');
    expect(members.flatMap(holds).sort()).toEqual([0, 1, 2]);

    const [leaver, ...rest] = members as [Consumer, Consumer, Consumer];
    const given = holds(leaver)[0]!;
    await env.produce(topic, [{ value: 'before', partition: given }]);
    await until(() => seen.get(leaver)!.some(([p]) => p === given), 'the leaver processes its record');
    await leaver.disconnect();
    await env.produce(topic, [{ value: 'after', partition: given }]);
    await until(() => rest.some((c) => seen.get(c)!.some(([p, o]) => p === given && o === 1)), 'another member consumes the partition the leaver gave up');
    expect(rest.flatMap(holds).sort()).toEqual([0, 1, 2]);
    // Committed on leave: the new owner starts after the leaver's record, never before it.
    expect(rest.flatMap((c) => seen.get(c)!.filter(([p]) => p === given))).toEqual([[given, 1]]);
  });
});
