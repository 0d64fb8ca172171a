import { ConsumerGroup, GroupMember } from './consumer-group';

function setup(): { group: ConsumerGroup; a: GroupMember; b: GroupMember } {
  const group = new ConsumerGroup('g');
  const a = new GroupMember('a');
  const b = new GroupMember('b');
  group.members.set('a', a);
  group.members.set('b', b);
  return { group, a, b };
}

describe('ConsumerGroup reconciliation', () => {
  it('hands out free target partitions and moves the member to the assignment epoch', () => {
    const { group, a } = setup();
    group.groupEpoch = group.assignmentEpoch = 1;
    group.target.set('a', new Set(['t:0', 't:1']));
    expect(group.reconcile(a)).toBe(true);
    expect([...a.assigned].sort()).toEqual(['t:0', 't:1']);
    expect(a.memberEpoch).toBe(1);
    expect(a.state).toBe('stable');
    expect(group.owners.get('t:0')).toBe('a');
    expect(group.reconcile(a)).toBe(false);
  });

  it('revokes first: a member losing partitions keeps its epoch and gets nothing new until it confirms', () => {
    const { group, a, b } = setup();
    group.groupEpoch = group.assignmentEpoch = 1;
    group.target.set('a', new Set(['t:0', 't:1']));
    group.reconcile(a);
    group.groupEpoch = group.assignmentEpoch = 2;
    group.target.set('a', new Set(['t:0', 't:2']));
    group.target.set('b', new Set(['t:1']));
    expect(group.reconcile(b)).toBe(true);
    expect(b.assigned.size).toBe(0); // t:1 is still a's
    expect(b.state).toBe('unreleased');
    expect(b.memberEpoch).toBe(2);

    expect(group.reconcile(a)).toBe(true);
    expect(a.state).toBe('unrevoked');
    expect([...a.assigned]).toEqual(['t:0']); // kept partitions stay; t:2 waits for the revocation
    expect([...a.pendingRevocation]).toEqual(['t:1']);
    expect(a.memberEpoch).toBe(1);
    expect(group.owners.get('t:1')).toBe('a');
    expect(group.reconcile(a)).toBe(false); // nothing moves until it confirms

    group.confirmRevocation(a);
    expect(group.owners.has('t:1')).toBe(false);
    group.reconcile(a);
    expect([...a.assigned].sort()).toEqual(['t:0', 't:2']);
    expect(a.memberEpoch).toBe(2);
    group.reconcile(b);
    expect([...b.assigned]).toEqual(['t:1']);
    expect(b.state).toBe('stable');
    expect(group.state()).toBe('stable');
  });

  it('never revokes a partition that stays in the member\'s target', () => {
    const { group, a } = setup();
    group.groupEpoch = group.assignmentEpoch = 1;
    group.target.set('a', new Set(['t:0', 't:1', 't:2']));
    group.reconcile(a);
    group.groupEpoch = group.assignmentEpoch = 2;
    group.target.set('a', new Set(['t:0', 't:2', 't:3']));
    group.reconcile(a);
    expect([...a.pendingRevocation]).toEqual(['t:1']);
    expect([...a.assigned].sort()).toEqual(['t:0', 't:2']);
  });

  it('frees everything a removed member held', () => {
    const { group, a, b } = setup();
    group.groupEpoch = group.assignmentEpoch = 1;
    group.target.set('a', new Set(['t:0']));
    group.reconcile(a);
    group.target.set('b', new Set(['t:0']));
    group.remove(a);
    expect(group.owners.size).toBe(0);
    group.reconcile(b);
    expect([...b.assigned]).toEqual(['t:0']);
    expect(a.removed).toBe(true);
  });

  it('lets a static member\'s new incarnation take over its epoch, partitions and target', () => {
    const { group, a } = setup();
    a.instanceId = 'i';
    group.staticMembers.set('i', 'a');
    group.groupEpoch = group.assignmentEpoch = 3;
    group.target.set('a', new Set(['t:0']));
    group.reconcile(a);
    const next = new GroupMember('a2');
    next.instanceId = 'i';
    group.replace(a, next);
    expect(next.memberEpoch).toBe(3);
    expect([...next.assigned]).toEqual(['t:0']);
    expect(group.owners.get('t:0')).toBe('a2');
    expect(group.staticMembers.get('i')).toBe('a2');
    expect(group.members.has('a')).toBe(false);
    expect(group.reconcile(next)).toBe(false);
  });
});

describe('ConsumerGroup reconciliation when the target changes mid-revocation', () => {
  it('gives back partitions being revoked when a newer target returns them to the member', () => {
    const { group, a, b } = setup();
    group.groupEpoch = group.assignmentEpoch = 1;
    group.target.set('a', new Set(['t:0', 't:1']));
    group.reconcile(a);
    // b joins: a must give up t:1...
    group.groupEpoch = group.assignmentEpoch = 2;
    group.target.set('a', new Set(['t:0']));
    group.target.set('b', new Set(['t:1']));
    group.reconcile(a);
    expect(a.state).toBe('unrevoked');
    // ...but b leaves before a confirmed: a keeps t:1 and moves on without a pause.
    group.remove(b);
    group.groupEpoch = group.assignmentEpoch = 3;
    group.target.set('a', new Set(['t:0', 't:1']));
    expect(group.reconcile(a)).toBe(true);
    expect(a.state).toBe('stable');
    expect(a.pendingRevocation.size).toBe(0);
    expect([...a.assigned].sort()).toEqual(['t:0', 't:1']);
    expect(a.memberEpoch).toBe(3);
    expect(group.owners.get('t:1')).toBe('a');
  });
});
