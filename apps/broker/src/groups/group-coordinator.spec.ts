import { ErrorCode } from '@strata/protocol';
import { converge, expectExclusive, type SimMember } from '../../test/helpers/group-member';
import { GroupHarness } from '../../test/helpers/group-harness';

async function stableGroup(h: GroupHarness, groupId: string, n: number, topics = ['t']): Promise<SimMember[]> {
  const members = Array.from({ length: n }, () => h.member({ groupId, topics }));
  await converge(members);
  expect(h.state(groupId)).toBe('stable');
  return members;
}

const sorted = (m: SimMember) => [...m.owned].sort();

describe('GroupCoordinator: membership and reconciliation', () => {
  let h: GroupHarness;
  beforeEach(async () => {
    h = await new GroupHarness().start();
    h.setTopic('t', 3);
  });

  it('the classic scenario: a lone member gets all 3 partitions; three members get one each', async () => {
    const [a] = await stableGroup(h, 'group1', 1);
    expect(sorted(a!)).toEqual(['t:0', 't:1', 't:2']);
    const group2 = await stableGroup(h, 'group2', 3);
    expect(group2.map((m) => m.owned.size)).toEqual([1, 1, 1]);
    expect(new Set(group2.flatMap(sorted)).size).toBe(3);
    expect(a!.owned.size).toBe(3); // the groups are independent
  });

  it('answers a join with a member id, an epoch, the full assignment and the heartbeat interval', () => {
    const res = h.heartbeat({ groupId: 'g', memberEpoch: 0, subscriptionChanged: true, subscribedTopicNames: ['t'] });
    expect(res.errorCode).toBe(0);
    expect(res.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.memberEpoch).toBe(1);
    expect(res.hasAssignment).toBe(true);
    expect(res.assignment).toEqual([{ topic: 't', partitions: [0, 1, 2] }]);
    expect(res.heartbeatIntervalMs).toBe(5000);
    const again = h.heartbeat({ groupId: 'g', memberId: res.memberId, memberEpoch: 1 });
    expect(again.hasAssignment).toBe(false);
    expect(again.memberEpoch).toBe(1);
  });

  it('uses a member id chosen by the client, so a retried join does not create a second member', () => {
    const join = { groupId: 'g', memberId: 'my-id', memberEpoch: 0, subscriptionChanged: true, subscribedTopicNames: ['t'] };
    expect(h.heartbeat(join).memberId).toBe('my-id');
    const retried = h.heartbeat(join);
    expect(retried.memberId).toBe('my-id');
    expect(retried.assignment).toEqual([{ topic: 't', partitions: [0, 1, 2] }]);
    expect(h.coordinator.group('g')!.members.size).toBe(1);
    expect(h.coordinator.group('g')!.groupEpoch).toBe(1);
  });

  it('refuses invalid requests with the documented codes', () => {
    const join = { memberEpoch: 0, subscriptionChanged: true, subscribedTopicNames: ['t'] };
    expect(h.heartbeat({ ...join, groupId: '' }).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(h.heartbeat({ ...join, groupId: 'g', sessionTimeoutMs: 10 }).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(h.heartbeat({ ...join, groupId: 'g', serverAssignor: 'magic' }).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect(h.heartbeat({ ...join, groupId: 'g', subscribedTopicRegex: '(' }).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(h.heartbeat({ groupId: 'g', memberId: 'x', memberEpoch: -2 }).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(h.heartbeat({ groupId: 'g', memberId: 'x', memberEpoch: -3 }).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(h.heartbeat({ groupId: 'g', memberId: 'nobody', memberEpoch: 4 }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const res = h.heartbeat({ ...join, groupId: 'g' });
    const wrong = h.heartbeat({ groupId: 'g', memberId: res.memberId, memberEpoch: res.memberEpoch + 5 });
    expect(wrong.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(h.coordinator.group('g')!.members.size).toBe(1); // failed joins leave no member behind
  });

  it('refuses group requests until committed offsets are loaded', () => {
    const fresh = new GroupHarness();
    const res = fresh.heartbeat({ groupId: 'g', memberEpoch: 0 });
    expect(res.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  });

  it('incremental rebalance: a 4th member joins 3; kept partitions are never revoked, moved ones are released before they are assigned', async () => {
    h.setTopic('t', 8);
    const old = await stableGroup(h, 'g', 3);
    const before = new Map(old.map((m) => [m, new Set(m.owned)]));
    for (const m of old) m.revoked.length = 0; // what forming the group of 3 revoked does not count
    for (const m of old) m.autoRevoke = false;
    const d = h.member({ groupId: 'g', topics: ['t'] });
    await d.heartbeat();
    expect(d.owned.size).toBe(0); // everything it is due is still held by others
    expect(d.lastResponse!.heartbeatIntervalMs).toBe(250); // told to come back soon
    for (const m of old) await m.heartbeat();
    const revoking = old.filter((m) => m.revoking.size > 0);
    expect(revoking.length).toBeGreaterThan(0);
    await d.heartbeat();
    expect(d.owned.size).toBe(0); // revoked but not yet released: still not handed over
    for (const m of old) {
      m.release();
      m.autoRevoke = true;
    }
    const all = [...old, d];
    await converge(all);
    expectExclusive(all);
    expect(all.map((m) => m.owned.size).sort()).toEqual([2, 2, 2, 2]);
    for (const m of old) {
      const kept = [...before.get(m)!].filter((tp) => m.owned.has(tp));
      for (const tp of m.revoked) expect(kept).not.toContain(tp);
      expect(m.revoked.length).toBe(before.get(m)!.size - kept.length);
    }
    expect(old.reduce((n, m) => n + m.revoked.length, 0)).toBe(2); // the minimum the sticky assignor can move
    expect(h.state('g')).toBe('stable');
  });

  it('cancels a revocation when the member that caused it leaves first: the partition never pauses', async () => {
    const [a] = await stableGroup(h, 'g', 1);
    a!.autoRevoke = false;
    const b = h.member({ groupId: 'g', topics: ['t'] });
    await b.heartbeat();
    await a!.heartbeat();
    expect(a!.revoking.size).toBe(1);
    await b.leave();
    await a!.heartbeat();
    expect(a!.revoking.size).toBe(0); // given back before it was released
    expect(a!.owned.size).toBe(3);
    for (let i = 0; i < 15; i++) {
      h.scheduler.advance(5_000); // past the rebalance timeout: no timer is left to fence it
      expect((await a!.heartbeat()).errorCode).toBe(0);
    }
    expect(h.state('g')).toBe('stable');
  });

  it('removes a member whose session expires and gives its partitions to the others', async () => {
    const [a, b] = await stableGroup(h, 'g', 2);
    const epoch = h.coordinator.group('g')!.groupEpoch;
    for (let i = 0; i < 10; i++) {
      h.scheduler.advance(5_000);
      await a!.heartbeat(); // b stays silent
    }
    const group = h.coordinator.group('g')!;
    expect(group.members.has(b!.memberId)).toBe(false);
    expect(group.groupEpoch).toBe(epoch + 1);
    expect(sorted(a!)).toEqual(['t:0', 't:1', 't:2']);
    const late = await b!.heartbeat();
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(late.errorMessage).toContain('session timed out');
  });

  it('keeps a member that heartbeats within its session timeout, however long it runs', async () => {
    const [a, b] = await stableGroup(h, 'g', 2);
    for (let i = 0; i < 100; i++) {
      h.scheduler.advance(5_000);
      await a!.heartbeat();
      await b!.heartbeat();
    }
    expect(h.coordinator.group('g')!.members.size).toBe(2);
  });

  it('removes a member that does not release revoked partitions within its rebalance timeout', async () => {
    const [a] = await stableGroup(h, 'g', 1);
    a!.autoRevoke = false;
    const b = h.member({ groupId: 'g', topics: ['t'] });
    await b.heartbeat();
    await a!.heartbeat();
    expect(a!.revoking.size).toBeGreaterThan(0);
    for (let i = 0; i < 13; i++) {
      h.scheduler.advance(5_000); // 65 s > the 60 s rebalance timeout; both keep their sessions alive
      await a!.heartbeat();
      await b.heartbeat();
    }
    expect(a!.lastResponse!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(a!.lastResponse!.errorMessage).toContain('rebalance timeout');
    expect(sorted(b)).toEqual(['t:0', 't:1', 't:2']);
  });

  it('removes a member that reports poll_idle_ms above its rebalance timeout (alive but stuck)', async () => {
    const [a, b] = await stableGroup(h, 'g', 2);
    const ok = await a!.heartbeat({ pollIdleMs: 59_000 });
    expect(ok.errorCode).toBe(0);
    const stuck = await a!.heartbeat({ pollIdleMs: 61_000 });
    expect(stuck.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(stuck.errorMessage).toContain('poll_idle_ms');
    await converge([b!]);
    expect(sorted(b!)).toEqual(['t:0', 't:1', 't:2']);
  });

  it('frees a leaving member\'s partitions at once; leaving twice is harmless', async () => {
    const [a, b] = await stableGroup(h, 'g', 2);
    const id = a!.memberId;
    expect((await a!.leave()).errorCode).toBe(0);
    expect(h.heartbeat({ groupId: 'g', memberId: id, memberEpoch: -1 }).errorCode).toBe(0);
    await b!.heartbeat();
    expect(sorted(b!)).toEqual(['t:0', 't:1', 't:2']);
    await b!.leave();
    expect(h.state('g')).toBe('dead'); // no members and no offsets: forgotten
  });

  it('resends the full assignment to a member whose previous response was lost', async () => {
    const [a] = await stableGroup(h, 'g', 1);
    const b = h.member({ groupId: 'g', topics: ['t'] });
    await b.heartbeat();
    await a!.heartbeat(); // told to revoke
    const oldEpoch = a!.epoch;
    await a!.heartbeat(); // confirms; this response moves it to the new epoch...
    expect(a!.epoch).toBeGreaterThan(oldEpoch);
    const res = h.heartbeat({ groupId: 'g', memberId: a!.memberId, memberEpoch: oldEpoch }); // ...but it never arrived
    expect(res.errorCode).toBe(0);
    expect(res.hasAssignment).toBe(true);
    expect(res.memberEpoch).toBe(a!.epoch);
  });

  it('lets a fenced member rejoin under its member id and get its partitions back without a new group epoch', async () => {
    const [a, b] = await stableGroup(h, 'g', 2);
    const had = sorted(a!);
    const epoch = h.coordinator.group('g')!.groupEpoch;
    expect((await a!.heartbeat({ memberEpoch: a!.epoch + 7 })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    a!.reset();
    await a!.heartbeat();
    expect(sorted(a!)).toEqual(had);
    expect(h.coordinator.group('g')!.groupEpoch).toBe(epoch);
    await converge([a!, b!]);
  });

  it('follows topic changes: a regex subscription picks up a new topic; a deleted topic is revoked', async () => {
    const a = h.member({ groupId: 'g', regex: 'orders-.*' });
    h.setTopic('orders-eu', 2);
    await converge([a]);
    expect(sorted(a)).toEqual(['orders-eu:0', 'orders-eu:1']);
    h.setTopic('orders-us', 1);
    h.setTopic('other', 4);
    await converge([a]);
    expect(sorted(a)).toEqual(['orders-eu:0', 'orders-eu:1', 'orders-us:0']);
    h.setTopic('orders-eu', undefined);
    await converge([a]);
    expect(sorted(a)).toEqual(['orders-us:0']);
    expect(a.revoked.sort()).toEqual(['orders-eu:0', 'orders-eu:1']);
  });

  it('uses the assignor the members ask for', async () => {
    h.setTopic('t', 4);
    const members = Array.from({ length: 2 }, () => h.member({ groupId: 'g', topics: ['t'], assignor: 'range' }));
    await converge(members);
    expect(h.coordinator.group('g')!.assignor).toBe('range');
  });

  it('refuses a member beyond group.max.size', async () => {
    const small = await new GroupHarness({ maxGroupSize: 2 }).start();
    small.setTopic('t', 3);
    await converge([small.member({ groupId: 'g', topics: ['t'] }), small.member({ groupId: 'g', topics: ['t'] })]);
    const third = await small.member({ groupId: 'g', topics: ['t'] }).heartbeat();
    expect(third.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});
