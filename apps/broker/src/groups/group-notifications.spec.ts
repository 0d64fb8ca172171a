import type { PushInit } from '@strata/protocol';
import { expectExclusive, type SimMember } from '../../test/helpers/group-member';
import { FakeConnection, GroupHarness } from '../../test/helpers/group-harness';

/** A member connection that records the push frames the coordinator sends on it. */
class PushConnection extends FakeConnection {
  readonly pushes: PushInit[] = [];
  constructor(private readonly onPush: () => void) {
    super();
  }
  push(push: PushInit): void {
    this.pushes.push(push);
    this.onPush();
  }
}

/**
 * Members that heartbeat ONLY when they join, when the coordinator pushes GroupChanged to them, or
 * right after giving up revoked partitions (as the client does): the scheduler never moves, so
 * no heartbeat interval ever elapses. Whatever the group reaches, it reaches through pushes.
 */
class ReactiveGroup {
  private readonly queue = new Set<SimMember>();
  readonly members: Array<{ member: SimMember; conn: PushConnection }> = [];

  constructor(
    private readonly h: GroupHarness,
    private readonly groupId: string,
  ) {}

  async join(notify = true): Promise<{ member: SimMember; conn: PushConnection }> {
    const holder: { member?: SimMember } = {};
    const conn = new PushConnection(() => this.queue.add(holder.member!));
    const entry = { member: this.h.member({ groupId: this.groupId, topics: ['t'] }, conn), conn };
    holder.member = entry.member;
    this.members.push(entry);
    await this.beat(entry.member, notify);
    return entry;
  }

  async beat(member: SimMember, notify = true): Promise<void> {
    const revokedBefore = member.revoked.length;
    await member.heartbeat({ notifyChanges: notify });
    expectExclusive(this.members.map((e) => e.member));
    if (member.revoked.length > revokedBefore) this.queue.add(member); // confirm the revocation at once
  }

  /** Heartbeats whoever was pushed (or must confirm) until nobody is; returns the heartbeats sent. */
  async drain(): Promise<number> {
    let sent = 0;
    while (this.queue.size > 0) {
      const next = this.queue.values().next().value!;
      this.queue.delete(next);
      if (!next.joined) continue;
      await this.beat(next);
      if (++sent > 100) throw new Error('notifications do not settle');
    }
    return sent;
  }
}

describe('GroupCoordinator: GroupChanged notifications', () => {
  let h: GroupHarness;
  beforeEach(async () => {
    h = await new GroupHarness().start();
    h.setTopic('t', 3);
  });

  it('three members joining one after another end with one partition each, moved by pushes alone', async () => {
    const g = new ReactiveGroup(h, 'g');
    const startedAt = h.scheduler.clock.now();
    const a = await g.join();
    expect(a.member.owned.size).toBe(3);
    await g.join();
    await g.drain();
    await g.join();
    await g.drain();
    expect(g.members.map((e) => e.member.owned.size)).toEqual([1, 1, 1]);
    expect(new Set(g.members.flatMap((e) => [...e.member.owned])).size).toBe(3);
    expect(h.state('g')).toBe('stable');
    expect(h.scheduler.clock.now()).toBe(startedAt); // no interval elapsed: pushes did it
    expect(a.conn.pushes[0]).toEqual({ groupChanged: { groupId: 'g', memberId: a.member.memberId, groupEpoch: expect.any(Number) } });
  });

  it('when a member leaves, its partition goes to another member through a push', async () => {
    const g = new ReactiveGroup(h, 'g');
    for (let i = 0; i < 3; i++) {
      await g.join();
      await g.drain();
    }
    const [leaver, ...rest] = g.members;
    const given = [...leaver!.member.owned];
    await leaver!.member.leave();
    g.members.shift();
    await g.drain();
    const held = rest.flatMap((e) => [...e.member.owned]);
    expect(held.sort()).toEqual(['t:0', 't:1', 't:2']);
    expect(given.every((tp) => held.includes(tp))).toBe(true);
    expect(h.state('g')).toBe('stable');
  });

  it('a member waiting for a partition is pushed when the previous owner confirms its revocation', async () => {
    const g = new ReactiveGroup(h, 'g');
    const a = await g.join();
    a.member.autoRevoke = false; // a holds on to what it must give up
    const b = await g.join();
    await g.drain();
    expect(b.member.owned.size).toBe(0); // target known, but a still holds it
    const pushesBefore = b.conn.pushes.length;
    a.member.release();
    await g.beat(a.member); // a confirms
    expect(b.conn.pushes.length).toBe(pushesBefore + 1);
    await g.drain();
    expect(a.member.owned.size + b.member.owned.size).toBe(3);
    expect(b.member.owned.size).toBeGreaterThan(0);
  });

  it('pushes only to members that asked, at most once between two of their heartbeats, never to the one that caused it', async () => {
    const g = new ReactiveGroup(h, 'g');
    const quiet = await g.join(false);
    const a = await g.join();
    expect(a.conn.pushes).toEqual([]); // its own join: it learns from the response
    await g.join(); // bumps the epoch: a is told once
    const c = await g.join(); // bumps again before a heartbeats: no second push
    expect(a.conn.pushes).toHaveLength(1);
    expect(quiet.conn.pushes).toEqual([]);
    expect(c.conn.pushes).toEqual([]);
  });
});
