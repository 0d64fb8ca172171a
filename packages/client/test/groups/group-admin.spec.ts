/** Admin's consumer-group operations against a real broker. */
import type { Admin, Consumer } from '../../src';
import { until } from '../helpers/collect';
import { rejectionOf } from '../helpers/connections';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { uniqueTopic } from '../helpers/test-broker';

describe('Admin: consumer groups', () => {
  let env: GroupEnv;
  let admin: Admin;
  beforeAll(async () => {
    env = await startGroupEnv();
    admin = env.strata.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await env?.cleanup();
  });

  /** A member of `groupId` that processed the first `count` records of every partition. */
  async function memberThatProcessed(groupId: string, topic: string, partitions: number, count: number): Promise<Consumer> {
    const consumer = await env.consumer({ groupId, maxWaitMs: 50, autoCommitInterval: 50 });
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    const committed = new Map<number, number>();
    consumer.on('consumer.commit', ({ payload }) => payload.offsets.forEach((o) => committed.set(o.partition, o.offset)));
    await consumer.run({ eachMessage: ({ message, pause }) => void (message.offset === count - 1 && pause()) });
    await until(() => committed.size === partitions && [...committed.values()].every((o) => o === count), `${count} committed on every partition`);
    return consumer;
  }

  async function topicWith(partitions: number, records: number): Promise<string> {
    const topic = uniqueTopic('admin-groups');
    await env.createTopic(topic, partitions);
    await env.produce(topic, Array.from({ length: partitions * records }, (_, i) => ({ value: `v${i}`, partition: i % partitions })));
    return topic;
  }

  it('lists and describes a group: state, members, assignments, committed offsets and lag', async () => {
    const topic = await topicWith(2, 10);
    const member = await memberThatProcessed('described', topic, 2, 4);
    const listed = await admin.listGroups();
    expect(listed).toContainEqual({ groupId: 'described', state: 'stable', members: 1 });
    expect(await admin.listGroups({ states: ['empty'] })).not.toContainEqual(expect.objectContaining({ groupId: 'described' }));

    const d = await admin.describeGroup('described');
    expect(d).toMatchObject({ groupId: 'described', state: 'stable', assignor: 'sticky' });
    expect(d.members).toHaveLength(1);
    expect(d.members[0]).toMatchObject({
      memberId: member.groupMember()!.memberId,
      instanceId: null,
      clientId: 'client-test',
      subscribedTopics: [topic],
      subscribedTopicRegex: null,
      assignment: [{ topic, partition: 0 }, { topic, partition: 1 }],
      targetAssignment: [{ topic, partition: 0 }, { topic, partition: 1 }],
    });
    expect(d.members[0]!.memberEpoch).toBeGreaterThan(0);
    expect(d.offsets).toEqual([0, 1].map((partition) => ({ topic, partition, committedOffset: 4, logEndOffset: 10, lag: 6, metadata: '' })));
    expect((await admin.describeGroups(['described'], { includeOffsets: false }))[0]!.offsets).toEqual([]);
    expect(await admin.describeGroup('no-such-group')).toMatchObject({ groupId: 'no-such-group', state: 'dead', members: [], offsets: [] });

    expect(await admin.fetchOffsets({ groupId: 'described' })).toEqual([{ topic, partitions: [0, 1].map((partition) => ({ partition, offset: 4, metadata: '' })) }]);
    await member.disconnect(); // commits 4 (nothing more processed) and leaves
    expect(await admin.listGroups({ states: ['empty'] })).toContainEqual({ groupId: 'described', state: 'empty', members: 0 });
  });

  it('resets offsets only while the group is empty: earliest, latest, timestamp, explicit', async () => {
    const topic = await topicWith(2, 10);
    const member = await memberThatProcessed('resettable', topic, 2, 3);
    const refused = await rejectionOf(admin.resetOffsets({ groupId: 'resettable', topic, to: 'earliest' }));
    expect(refused).toMatchObject({ code: 'NON_EMPTY_GROUP' });
    expect(refused.message).toMatch(/has active members.*stop its consumers/);
    await member.disconnect();

    expect(await admin.resetOffsets({ groupId: 'resettable', topic, to: 'latest' })).toEqual([{ partition: 0, offset: 10 }, { partition: 1, offset: 10 }]);
    expect(await admin.resetOffsets({ groupId: 'resettable', topic, to: 'earliest' })).toEqual([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }]);
    expect(await admin.resetOffsets({ groupId: 'resettable', topic, to: { timestamp: Date.now() + 60_000 } })).toEqual([{ partition: 0, offset: 10 }, { partition: 1, offset: 10 }]);
    expect(await admin.resetOffsets({ groupId: 'resettable', topic, to: { timestamp: 0 } })).toEqual([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }]);
    expect(await admin.resetOffsets({ groupId: 'resettable', topic, to: { partitions: [{ partition: 1, offset: 7 }] } })).toEqual([{ partition: 1, offset: 7 }]);
    expect(await admin.fetchOffsets({ groupId: 'resettable', topics: [topic] })).toEqual([{ topic, partitions: [{ partition: 0, offset: 0, metadata: '' }, { partition: 1, offset: 7, metadata: '' }] }]);

    // A new member starts where the reset put the group.
    const next = await env.consumer({ groupId: 'resettable', maxWaitMs: 50 });
    next.subscribe({ topics: [topic] });
    const first = new Map<number, number>();
    await next.run({ eachMessage: ({ partition, message }) => void (first.has(partition) || first.set(partition, message.offset)) });
    await until(() => first.size === 2, 'both partitions delivered');
    expect([...first].sort()).toEqual([[0, 0], [1, 7]]);
    await next.disconnect();
  });

  it('deletes empty groups only', async () => {
    const topic = await topicWith(1, 3);
    const member = await memberThatProcessed('doomed', topic, 1, 3);
    expect(await rejectionOf(admin.deleteGroups(['doomed']))).toMatchObject({ code: 'NON_EMPTY_GROUP' });
    await member.disconnect();
    await admin.deleteGroups(['doomed']);
    expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain('doomed');
    expect(await rejectionOf(admin.deleteGroups(['doomed']))).toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
  });
});
