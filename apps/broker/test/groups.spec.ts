/**
 * Consumer-group membership over the wire, against a real in-process broker whose coordinator
 * timers run on a manual scheduler.
 */
import { ErrorCode } from '@strata/protocol';
import { GroupTestEnv, fetchValues } from './helpers/groups';
import { converge, expectExclusive, type SimMember } from './helpers/group-member';
import { createTopic, produce } from './helpers/wire-client';

describe('consumer groups over the wire', () => {
  let env: GroupTestEnv;
  beforeEach(async () => {
    env = await GroupTestEnv.start();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  it('FindCoordinator names this broker for any group', async () => {
    const res = await env.admin.request('FindCoordinator', { keyType: 0, keys: ['orders', ''] });
    expect(res.coordinators[0]).toMatchObject({ key: 'orders', nodeId: env.broker.config.brokerId, url: env.broker.url, errorCode: 0 });
    expect(res.coordinators[1]!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const bad = await env.admin.request('FindCoordinator', { keyType: 1, keys: ['x'] });
    expect(bad.coordinators[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('the classic scenario: group1\'s lone member reads all three keys; group2\'s three members read one each', async () => {
    await createTopic(env.admin, 'classic', 3);
    for (const key of [1, 2, 3]) await produce(env.admin, 'classic', key - 1, [{ key: String(key), value: `value-${key}` }]);

    const a = await env.member({ groupId: 'group1', topics: ['classic'] });
    const group2 = await Promise.all([1, 2, 3].map(() => env.member({ groupId: 'group2', topics: ['classic'] })));
    await converge([a]);
    await converge(group2);

    const read = async (m: SimMember) => (await Promise.all([...m.owned].sort().map((tp) => fetchValues(env.admin, 'classic', Number(tp.split(':')[1]))))).flat();
    expect((await read(a)).sort()).toEqual(['value-1', 'value-2', 'value-3']);
    const perMember = await Promise.all(group2.map(read));
    expect(perMember.map((v) => v.length)).toEqual([1, 1, 1]);
    expect(perMember.flat().sort()).toEqual(['value-1', 'value-2', 'value-3']);

    const list = await env.admin.request('ListGroups', {});
    expect(list.groups.map((g) => [g.groupId, g.groupState, g.members])).toEqual([
      ['group1', 'stable', 1],
      ['group2', 'stable', 3],
    ]);
    const metrics = await (await fetch(`${env.broker.url.replace('ws://', 'http://')}/metrics`)).text();
    expect(metrics).toContain('strata_group_members{group="group2"} 3');
    expect(metrics).toMatch(/strata_group_rebalances_total\{group="group2"\} [1-9]/);
  });

  it('incremental rebalance: a 4th member joining 3 never makes a member give up a partition it keeps', async () => {
    await createTopic(env.admin, 'inc', 6);
    const old = await Promise.all([1, 2, 3].map(() => env.member({ groupId: 'g', topics: ['inc'] })));
    await converge(old);
    const before = old.map((m) => new Set(m.owned));
    for (const m of old) m.revoked.length = 0;
    const d = await env.member({ groupId: 'g', topics: ['inc'] });
    const all = [...old, d];
    await converge(all); // checks after every heartbeat that no partition has two owners
    expectExclusive(all);
    expect(all.map((m) => m.owned.size).sort()).toEqual([1, 1, 2, 2]);
    old.forEach((m, i) => {
      for (const tp of m.revoked) {
        expect(before[i]!.has(tp)).toBe(true);
        expect(m.owned.has(tp)).toBe(false);
      }
    });
    expect(old.reduce((n, m) => n + m.revoked.length, 0)).toBe(1); // 2+2+2 -> 2+2+1+1: one partition moves
    const described = await env.admin.request('ConsumerGroupDescribe', { groupIds: ['g'] });
    expect(described.groups[0]!.state).toBe('stable');
    expect(described.groups[0]!.members).toHaveLength(4);
  });

  it('removes a member whose session expires', async () => {
    await createTopic(env.admin, 'sess', 2);
    const [a, b] = await Promise.all([1, 2].map(() => env.member({ groupId: 'g', topics: ['sess'], sessionTimeoutMs: 10_000 })));
    await converge([a!, b!]);
    for (let i = 0; i < 4; i++) {
      env.scheduler.advance(4_000);
      expect((await a!.heartbeat()).errorCode).toBe(0);
    }
    await converge([a!]);
    expect(a!.owned.size).toBe(2);
    const late = await b!.heartbeat();
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('fences a member that does not release revoked partitions within its rebalance timeout', async () => {
    await createTopic(env.admin, 'slow', 2);
    const a = await env.member({ groupId: 'g', topics: ['slow'], rebalanceTimeoutMs: 20_000 });
    await converge([a]);
    a.autoRevoke = false;
    const b = await env.member({ groupId: 'g', topics: ['slow'] });
    await b.heartbeat();
    await a.heartbeat();
    expect(a.revoking.size).toBe(1);
    for (let i = 0; i < 5; i++) {
      env.scheduler.advance(5_000);
      await a.heartbeat();
      await b.heartbeat();
    }
    expect(a.lastResponse!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await converge([b]);
    expect(b.owned.size).toBe(2);
  });

  it('removes a member that reports poll_idle_ms beyond its rebalance timeout', async () => {
    await createTopic(env.admin, 'stuck', 2);
    const a = await env.member({ groupId: 'g', topics: ['stuck'], rebalanceTimeoutMs: 30_000 });
    await converge([a]);
    const res = await a.heartbeat({ pollIdleMs: 30_001 });
    expect(res.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    const list = await env.admin.request('ListGroups', {});
    expect(list.groups).toEqual([]);
  });

  it('static membership: leaving with -2 and rejoining keeps the partitions, the group epoch and the others untouched', async () => {
    await createTopic(env.admin, 'static', 4);
    const a = await env.member({ groupId: 'g', topics: ['static'], instanceId: 'host-a' });
    const b = await env.member({ groupId: 'g', topics: ['static'], instanceId: 'host-b' });
    await converge([a, b]);
    const describe = async () => (await env.admin.request('ConsumerGroupDescribe', { groupIds: ['g'] })).groups[0]!;
    const epoch = (await describe()).groupEpoch;
    const had = [...a.owned].sort();
    await a.leave(true);
    expect((await describe()).members.find((m) => m.instanceId === 'host-a')!.memberEpoch).toBe(-2);
    await b.heartbeat();
    const a2 = await env.member({ groupId: 'g', topics: ['static'], instanceId: 'host-a' });
    await converge([a2, b]);
    expect([...a2.owned].sort()).toEqual(had);
    expect(b.revoked).toEqual([]);
    expect((await describe()).groupEpoch).toBe(epoch);
  });

  it('static membership: a restarted member takes over after its connection died; a live duplicate is refused', async () => {
    await createTopic(env.admin, 'crash', 2);
    const conn = await env.connect();
    const a = await env.member({ groupId: 'g', topics: ['crash'], instanceId: 'host-a' }, conn);
    await converge([a]);
    const twin = await env.member({ groupId: 'g', topics: ['crash'], instanceId: 'host-a' });
    expect((await twin.heartbeat()).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    await conn.close();
    await new Promise((r) => setImmediate(r)); // let the broker see the close
    const restarted = await env.member({ groupId: 'g', topics: ['crash'], instanceId: 'host-a' });
    let res = await restarted.heartbeat();
    for (let i = 0; i < 50 && res.errorCode === ErrorCode.UNRELEASED_INSTANCE_ID; i++) {
      await new Promise((r) => setTimeout(r, 10));
      res = await restarted.heartbeat();
    }
    expect(res.errorCode).toBe(0);
    expect(restarted.owned.size).toBe(2);
  });
});
