import { ErrorCode } from '@strata/protocol';
import { converge } from '../../test/helpers/group-member';
import { FakeConnection, GroupHarness } from '../../test/helpers/group-harness';
import { checkCommitter } from './group-offsets';

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('GroupCoordinator: static membership', () => {
  let h: GroupHarness;
  beforeEach(async () => {
    h = await new GroupHarness().start();
    h.setTopic('t', 4);
  });

  it('a member leaving with -2 and rejoining with its instance id gets the same partitions, with no new group epoch and no movement', async () => {
    const a = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' });
    const b = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-b' });
    await converge([a, b]);
    const group = h.coordinator.group('g')!;
    const epoch = group.groupEpoch;
    const aHad = [...a.owned].sort();
    const bHad = [...b.owned].sort();
    const aEpoch = a.epoch;

    expect((await a.leave(true)).memberEpoch).toBe(-2);
    for (let i = 0; i < 5; i++) {
      h.scheduler.advance(5_000);
      await b.heartbeat();
    }
    expect([...b.owned].sort()).toEqual(bHad); // b is not handed a's partitions while a is away
    expect(b.revoked).toEqual([]);

    const a2 = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' });
    const res = await a2.heartbeat();
    expect(res.errorCode).toBe(0);
    expect(res.memberId).not.toBe(a.memberId);
    expect(res.memberEpoch).toBe(aEpoch);
    expect([...a2.owned].sort()).toEqual(aHad);
    expect(group.groupEpoch).toBe(epoch);
    await converge([a2, b]);
    expect(b.revoked).toEqual([]);
    expect(group.groupEpoch).toBe(epoch);
  });

  it('a member that left with -2 and does not return within its session timeout is removed and its partitions move', async () => {
    const a = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' });
    const b = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-b' });
    await converge([a, b]);
    await a.leave(true);
    for (let i = 0; i < 10; i++) {
      h.scheduler.advance(5_000);
      await b.heartbeat();
    }
    await converge([b]);
    expect(b.owned.size).toBe(4);
    expect(h.coordinator.group('g')!.staticMembers.has('node-a')).toBe(false);
  });

  it('while a static member is away, partitions a new target takes from it move at once; the rest wait for it', async () => {
    h.setTopic('t', 6);
    const a = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' });
    const b = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-b' });
    await converge([a, b]);
    const aHad = new Set(a.owned);
    await a.leave(true);
    const c = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-c' });
    await converge([b, c]); // a is away and sends nothing
    const target = h.coordinator.group('g')!.targetOf(a.memberId);
    expect(target.size).toBe(2); // 3 + 3 -> 2 + 2 + 2
    expect([...aHad].filter((tp) => !target.has(tp)).every((tp) => b.owned.has(tp) || c.owned.has(tp))).toBe(true);
    const a2 = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' });
    await converge([a2, b, c]);
    expect([...a2.owned].sort()).toEqual([...target].sort());
    expect(c.owned.size).toBe(2);
    expect(a2.revoked).toEqual([]);
  });

  it('refuses a second live member with the same instance id (UNRELEASED_INSTANCE_ID)', async () => {
    const a = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' }, new FakeConnection());
    await converge([a]);
    const twin = await h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' }, new FakeConnection()).heartbeat();
    expect(twin.errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    expect((await a.heartbeat()).errorCode).toBe(0);
  });

  it('after a crash (connection closed without leaving) the restarted member takes over at once; the old one is fenced', async () => {
    const conn = new FakeConnection();
    const a = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' }, conn);
    const b = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-b' });
    await converge([a, b]);
    const epoch = h.coordinator.group('g')!.groupEpoch;
    const had = [...a.owned].sort();
    conn.close();
    const restarted = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' }, new FakeConnection());
    await restarted.heartbeat();
    expect([...restarted.owned].sort()).toEqual(had);
    expect(h.coordinator.group('g')!.groupEpoch).toBe(epoch);
    const zombie = await a.heartbeat();
    expect(zombie.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', a.memberId, a.epoch, 'node-a'))).toBe('FENCED_INSTANCE_ID');
  });

  it('a rejoining static member with a changed subscription gets a new target', async () => {
    h.setTopic('u', 2);
    const a = h.member({ groupId: 'g', topics: ['t'], instanceId: 'node-a' });
    await converge([a]);
    const epoch = h.coordinator.group('g')!.groupEpoch;
    await a.leave(true);
    const a2 = h.member({ groupId: 'g', topics: ['t', 'u'], instanceId: 'node-a' });
    await converge([a2]);
    expect(a2.owned.size).toBe(6);
    expect(h.coordinator.group('g')!.groupEpoch).toBe(epoch + 1);
  });
});

describe('GroupCoordinator: who may commit', () => {
  let h: GroupHarness;
  beforeEach(async () => {
    h = await new GroupHarness().start();
    h.setTopic('t', 2);
  });

  it('accepts the current member at its current epoch and rejects stale, future and unknown ones', async () => {
    const a = h.member({ groupId: 'g', topics: ['t'] });
    await converge([a]);
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', a.memberId, a.epoch, ''))).toBeUndefined();
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', a.memberId, a.epoch - 1, ''))).toBe('STALE_MEMBER_EPOCH');
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', a.memberId, a.epoch + 1, ''))).toBe('FENCED_MEMBER_EPOCH');
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', 'someone-else', 1, ''))).toBe('UNKNOWN_MEMBER_ID');
  });

  it('accepts an admin commit (member "" and epoch -1) only while the group has no members', async () => {
    expect(codeOf(() => checkCommitter(h.coordinator, 'fresh', '', -1, ''))).toBeUndefined();
    const a = h.member({ groupId: 'g', topics: ['t'] });
    await converge([a]);
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', '', -1, ''))).toBe('NON_EMPTY_GROUP');
    await a.leave();
    expect(codeOf(() => checkCommitter(h.coordinator, 'g', '', -1, ''))).toBeUndefined();
  });

  it('rejects commits from a member removed for a timeout, telling it why', async () => {
    const a = h.member({ groupId: 'g', topics: ['t'] });
    await converge([a]);
    h.scheduler.advance(60_000);
    let message = '';
    try {
      checkCommitter(h.coordinator, 'g', a.memberId, a.epoch, '');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('session timed out');
  });
});
