/**
 * Committed offsets and the administrative group APIs over the wire: who may commit, durability
 * across a clean restart, describe with lag, list, delete, and the internal topic they live in.
 */
import { ErrorCode } from '@strata/protocol';
import { GroupTestEnv, commitRequest, committed, untilLoaded, waitForCoordinator } from './helpers/groups';
import { converge } from './helpers/group-member';
import { WireClient, batch, createTopic, produce } from './helpers/wire-client';

describe('offset commits and group administration over the wire', () => {
  let env: GroupTestEnv;
  beforeEach(async () => {
    env = await GroupTestEnv.start();
    await createTopic(env.admin, 'orders', 2);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('accepts commits from the current member and epoch; rejects stale epochs, unknown members and fenced ones', async () => {
    const a = await env.member({ groupId: 'g', topics: ['orders'] });
    await converge([a]);
    const ok = await env.admin.request('OffsetCommit', commitRequest('g', a, { orders: { 0: 5, 1: 7 } }));
    expect(ok.errorCode).toBe(0);
    expect(ok.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    expect(await committed(env.admin, 'g')).toEqual({ 'orders:0': 5, 'orders:1': 7 });

    // A second member moves the group on; a's epoch advances once it has revoked a partition.
    const b = await env.member({ groupId: 'g', topics: ['orders'] });
    const staleEpoch = a.epoch;
    await converge([a, b]);
    expect(a.epoch).toBeGreaterThan(staleEpoch);
    const stale = await env.admin.request('OffsetCommit', commitRequest('g', { memberId: a.memberId, epoch: staleEpoch }, { orders: { 0: 6 } }));
    expect(stale.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    const unknown = await env.admin.request('OffsetCommit', commitRequest('g', { memberId: 'zombie', epoch: 1 }, { orders: { 0: 6 } }));
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await committed(env.admin, 'g')).toEqual({ 'orders:0': 5, 'orders:1': 7 });

    // Once b's session expires, b is fenced: its commits are refused.
    for (let i = 0; i < 10; i++) {
      env.scheduler.advance(5_000);
      await a.heartbeat();
    }
    const fenced = await env.admin.request('OffsetCommit', commitRequest('g', b, { orders: { 1: 100 } }));
    expect(fenced.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await committed(env.admin, 'g'))['orders:1']).toBe(7);
  });

  it('fails only the partitions that are wrong', async () => {
    const res = await env.admin.request('OffsetCommit', {
      groupId: 'admin',
      memberId: '',
      memberEpoch: -1,
      topics: [
        { name: 'orders', partitions: [{ partition: 0, committedOffset: 3 }, { partition: 9, committedOffset: 3 }, { partition: 1, committedOffset: 1, metadata: 'x'.repeat(5000) }] },
        { name: 'nope', partitions: [{ partition: 0, committedOffset: 1 }] },
      ],
    });
    expect(res.errorCode).toBe(0);
    expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
    expect(res.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(res.errorMessage).toContain('offsets.metadata.max.bytes');
    expect(await committed(env.admin, 'admin')).toEqual({ 'orders:0': 3 });
  });

  it('accepts an admin reset (member "" and epoch -1) only while the group has no members', async () => {
    const a = await env.member({ groupId: 'g', topics: ['orders'] });
    await converge([a]);
    const refused = await env.admin.request('OffsetCommit', commitRequest('g', null, { orders: { 0: 0 } }));
    expect(refused.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await a.leave();
    const reset = await env.admin.request('OffsetCommit', commitRequest('g', null, { orders: { 0: 0, 1: 0 } }));
    expect(reset.errorCode).toBe(0);
    expect(await committed(env.admin, 'g')).toEqual({ 'orders:0': 0, 'orders:1': 0 });
  });

  it('fetches committed offsets by partition, with -1 for none', async () => {
    await env.admin.request('OffsetCommit', { ...commitRequest('g', null, { orders: { 1: 9 } }), topics: [{ name: 'orders', partitions: [{ partition: 1, committedOffset: 9, committedLeaderEpoch: 0, metadata: 'note' }] }] });
    const res = await env.admin.request('OffsetFetch', { groupId: 'g', topics: [{ name: 'orders', partitions: [0, 1] }] });
    expect(res.topics[0]!.partitions.map((p) => [p.partition, p.committedOffset, p.metadata])).toEqual([
      [0, -1, ''],
      [1, 9, 'note'],
    ]);
  });

  it('describes a group with members, assignments, targets and per-partition lag', async () => {
    for (let i = 0; i < 10; i++) await produce(env.admin, 'orders', 0, [{ value: `r${i}` }]);
    await produce(env.admin, 'orders', 1, [{ value: 'x' }]);
    const a = await env.member({ groupId: 'g', topics: ['orders'] });
    await converge([a]);
    await env.admin.request('OffsetCommit', commitRequest('g', a, { orders: { 0: 4 } }));
    const res = await env.admin.request('ConsumerGroupDescribe', { groupIds: ['g', 'missing'], includeOffsets: true });
    const g = res.groups[0]!;
    expect(g).toMatchObject({ errorCode: 0, groupId: 'g', state: 'stable', assignor: 'sticky', groupEpoch: 1, assignmentEpoch: 1 });
    expect(g.members).toHaveLength(1);
    expect(g.members[0]).toMatchObject({ memberId: a.memberId, memberEpoch: 1, subscribedTopicNames: ['orders'], clientId: 'wire-test' });
    expect(g.members[0]!.assignment).toEqual([{ topic: 'orders', partitions: [0, 1] }]);
    expect(g.members[0]!.targetAssignment).toEqual([{ topic: 'orders', partitions: [0, 1] }]);
    expect(g.offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag])).toEqual([
      [0, 4, 10, 6],
      [1, -1, 1, -1],
    ]);
    expect(res.groups[1]).toMatchObject({ groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, state: 'dead' });
  });

  it('lists groups with their state and member count, filtered by state', async () => {
    const a = await env.member({ groupId: 'live', topics: ['orders'] });
    await converge([a]);
    await env.admin.request('OffsetCommit', commitRequest('idle', null, { orders: { 0: 1 } }));
    const all = await env.admin.request('ListGroups', {});
    expect(all.groups.map((g) => [g.groupId, g.groupState, g.members])).toEqual([
      ['idle', 'empty', 0],
      ['live', 'stable', 1],
    ]);
    const empty = await env.admin.request('ListGroups', { statesFilter: ['Empty'] });
    expect(empty.groups.map((g) => g.groupId)).toEqual(['idle']);
  });

  it('deletes only empty groups, with their offsets, for good', async () => {
    const a = await env.member({ groupId: 'g', topics: ['orders'] });
    await converge([a]);
    await env.admin.request('OffsetCommit', commitRequest('g', a, { orders: { 0: 3 } }));
    const busy = await env.admin.request('DeleteGroups', { groupIds: ['g', 'never-was'] });
    expect(busy.results.map((r) => r.errorCode)).toEqual([ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);
    await a.leave();
    const done = await env.admin.request('DeleteGroups', { groupIds: ['g'] });
    expect(done.results[0]!.errorCode).toBe(0);
    expect(await committed(env.admin, 'g')).toEqual({});
    const described = await env.admin.request('ConsumerGroupDescribe', { groupIds: ['g'] });
    expect(described.groups[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const restarted = await env.broker.restart();
    const client = await WireClient.connect(restarted.url);
    try {
      await waitForCoordinator(client);
      expect(await committed(client, 'g')).toEqual({});
      expect((await client.request('ListGroups', {})).groups).toEqual([]);
    } finally {
      await client.close();
      await restarted.close();
    }
  });

  it('keeps committed offsets across a clean restart', async () => {
    const a = await env.member({ groupId: 'g', topics: ['orders'] });
    await converge([a]);
    await env.admin.request('OffsetCommit', commitRequest('g', a, { orders: { 0: 11, 1: 12 } }));
    await env.admin.request('OffsetCommit', commitRequest('g', a, { orders: { 0: 13 } }));
    await env.admin.request('OffsetCommit', commitRequest('other', null, { orders: { 1: 2 } }));
    const restarted = await env.broker.restart();
    const client = await WireClient.connect(restarted.url);
    try {
      expect(await committed(client, 'g')).toEqual({ 'orders:0': 13, 'orders:1': 12 });
      expect(await committed(client, 'other')).toEqual({ 'orders:1': 2 });
      // Membership is not persisted: the old member must rejoin.
      const hb = await untilLoaded(() => client.request('ConsumerGroupHeartbeat', { groupId: 'g', memberId: a.memberId, memberEpoch: a.epoch }));
      expect(hb.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    } finally {
      await client.close();
      await restarted.close();
    }
  });

  it('keeps users away from internal topics and lists them as internal', async () => {
    const created = await env.admin.request('CreateTopics', { topics: [{ name: '__mine', numPartitions: 1 }] });
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(created.topics[0]!.errorMessage).toContain('reserved');
    const deleted = await env.admin.request('DeleteTopics', { names: ['__consumer_offsets'] });
    expect(deleted.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const meta = await env.admin.request('Metadata', { allTopics: true });
    expect(meta.topics.find((t) => t.name === '__consumer_offsets')).toMatchObject({ isInternal: true, partitions: [expect.objectContaining({ partition: 0 })] });
    expect(meta.topics.find((t) => t.name === 'orders')!.isInternal).toBe(false);
    const described = await env.admin.request('DescribeTopics', { topics: ['__consumer_offsets'], includeConfigs: true });
    expect(described.topics[0]!.configs.find((c) => c.name === 'cleanup.policy')!.value).toBe('compact');
    // Nobody but the broker writes to an internal topic (a forged commit would move a group).
    const forged = await env.admin.request('Produce', { acks: 1, timeoutMs: 1000, topics: [{ name: '__consumer_offsets', partitions: [{ partition: 0, records: batch([{ key: 'k', value: 'v' }]) }] }] });
    expect(forged.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
    expect(forged.topics[0]!.partitions[0]!.errorMessage).toContain('internal');
  });
});
