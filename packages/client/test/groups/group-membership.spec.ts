/**
 * Membership of a group consumer: static members, slow and stuck handlers (heartbeats run on a
 * timer; poll_idle_ms bounds a stuck handler), a broker restart (every member rejoins).
 */
import type { Consumer, ConsumerEvents } from '../../src';
import { until } from '../helpers/collect';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { uniqueTopic } from '../helpers/test-broker';

type Rebalance = ConsumerEvents['consumer.rebalance'];

describe('group membership', () => {
  let env: GroupEnv;
  beforeAll(async () => {
    env = await startGroupEnv();
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  async function topicWith(partitions: number): Promise<string> {
    const topic = uniqueTopic('membership');
    await env.createTopic(topic, partitions);
    return topic;
  }

  /** A member that records its rebalance events and the offsets it processes. */
  async function member(groupId: string, topic: string, options: Parameters<GroupEnv['consumer']>[0] = {}, handle?: (offset: number, partition: number) => Promise<void> | void) {
    const consumer = await env.consumer({ groupId, maxWaitMs: 50, sessionTimeoutMs: 1_000, ...options });
    const rebalances: Rebalance[] = [];
    const joins: number[] = [];
    const seen: Array<[number, number]> = [];
    consumer.on('consumer.rebalance', ({ payload }) => rebalances.push(payload));
    consumer.on('consumer.group_join', ({ payload }) => joins.push(payload.memberEpoch));
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push([partition, message.offset]);
        await handle?.(message.offset, partition);
      },
    });
    return { consumer, rebalances, joins, seen };
  }
  const holds = (c: Consumer): number[] => c.assignment().map((tp) => tp.partition).sort();

  it('a static member that restarts within its session gets its partitions back; the others see no rebalance', async () => {
    const topic = await topicWith(4);
    const a = await member('static', topic, { groupInstanceId: 'host-a', sessionTimeoutMs: 5_000 });
    const b = await member('static', topic, { groupInstanceId: 'host-b', sessionTimeoutMs: 5_000 });
    await until(() => holds(a.consumer).length === 2 && holds(b.consumer).length === 2, 'two partitions each');
    const had = holds(a.consumer);
    const bEvents = b.rebalances.length;
    await a.consumer.disconnect(); // leaves temporarily (epoch -2)
    const again = await member('static', topic, { groupInstanceId: 'host-a', sessionTimeoutMs: 5_000 });
    await until(() => holds(again.consumer).length === 2, 'the restarted member holds two partitions');
    expect(holds(again.consumer)).toEqual(had);
    expect(b.rebalances.slice(bEvents)).toEqual([]);
    expect(holds(b.consumer).length).toBe(2);
  });

  it('a second live consumer with the same groupInstanceId crashes (UNRELEASED_INSTANCE_ID) instead of stealing', async () => {
    const topic = await topicWith(1);
    const first = await member('twins', topic, { groupInstanceId: 'same' });
    await until(() => holds(first.consumer).length === 1, 'the first holds the partition');
    const twin = await env.consumer({ groupId: 'twins', groupInstanceId: 'same', sessionTimeoutMs: 1_000 });
    twin.subscribe({ topics: [topic] });
    const crashes: Error[] = [];
    twin.on('consumer.crash', ({ payload }) => crashes.push(payload.error));
    await twin.run({ eachMessage: () => undefined });
    await until(() => crashes.length === 1, 'the twin crashes after its session timeout of retries');
    expect(crashes[0]).toMatchObject({ code: 'UNRELEASED_INSTANCE_ID' });
    expect(holds(first.consumer)).toEqual([0]);
  });

  it('a handler slower than the session timeout keeps its partitions (heartbeats go on)', async () => {
    const topic = await topicWith(2);
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const a = await member('slow', topic, {}, async (offset) => {
      if (offset !== 0 || entered) return;
      entered = true;
      await blocked;
    });
    const heartbeats: number[] = [];
    a.consumer.on('consumer.heartbeat', ({ payload }) => heartbeats.push(payload.memberEpoch));
    await until(() => holds(a.consumer).length === 2, 'the member holds both partitions');
    const epoch = a.consumer.groupMember()!.memberEpoch;
    await env.produce(topic, [0, 1].map((partition) => ({ value: 'slow', partition })));
    await until(() => entered, 'the handler is busy with the first record');
    // While the handler is busy, heartbeats go on: wait for more of them than fit in one session
    // timeout (sessionTimeoutMs 1 s, the coordinator asks for one every 300 ms), so a member whose
    // heartbeats waited for its handler would have been removed by now.
    const from = heartbeats.length;
    await until(() => heartbeats.length - from >= 5, 'five heartbeats answered while the handler is busy');
    expect(heartbeats.slice(from).every((e) => e === epoch)).toBe(true);
    release();
    await until(() => a.seen.length === 2, 'both records processed');
    expect(a.rebalances.flatMap((r) => r.lost)).toEqual([]);
    expect(holds(a.consumer)).toEqual([0, 1]);
    expect(a.joins).toHaveLength(1);
  });

  it('a handler stuck longer than maxPollIntervalMs gets its member removed; its partitions move on', async () => {
    const topic = await topicWith(2);
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let blockOn = -1;
    const a = await member('stuck', topic, { maxPollIntervalMs: 1_000 }, (offset, partition) => (partition === blockOn && offset === 0 ? stuck : undefined));
    const b = await member('stuck', topic, { maxPollIntervalMs: 60_000 });
    await until(() => holds(a.consumer).length === 1 && holds(b.consumer).length === 1, 'one partition each');
    blockOn = holds(a.consumer)[0]!;
    try {
      await env.produce(topic, [{ value: 'blocks', partition: blockOn }]);
      await until(() => a.rebalances.some((r) => r.lost.length > 0), 'a loses its partition', 10_000);
      await until(() => holds(b.consumer).length === 2, 'b takes over');
      await until(() => b.seen.some(([p, o]) => p === blockOn && o === 0), 'b processes the record a was stuck on');
      expect(a.joins).toHaveLength(1); // no rejoin while its handler is still stuck
    } finally {
      release();
    }
    await until(() => holds(a.consumer).length === 1 && holds(b.consumer).length === 1, 'a rejoins and gets a partition back');
    expect(a.joins.length).toBeGreaterThanOrEqual(2);
  });

  it('after a broker restart every member rejoins and consumption goes on from the committed offsets', async () => {
    const topic = await topicWith(2);
    const a = await member('restart', topic, { autoCommitInterval: 50 });
    const committed = new Map<number, number>();
    a.consumer.on('consumer.commit', ({ payload }) => payload.offsets.forEach((o) => committed.set(o.partition, o.offset)));
    await env.produce(topic, [0, 1].map((partition) => ({ value: 'before', partition })));
    await until(() => committed.get(0) === 1 && committed.get(1) === 1, 'records before the restart processed and committed');
    await env.broker.restart();
    await until(() => a.rebalances.some((r) => r.lost.length === 2), 'the member learns it was forgotten', 10_000);
    await until(() => a.joins.length >= 2 && holds(a.consumer).length === 2, 'it rejoins', 10_000);
    await env.produce(topic, [0, 1].map((partition) => ({ value: 'after', partition })));
    await until(() => a.seen.length === 4, 'records after the restart', 10_000);
    expect(a.seen.slice(2).sort()).toEqual([[0, 1], [1, 1]]);
  });
});
