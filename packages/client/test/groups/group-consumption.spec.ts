/**
 * Ways of consuming as a group member: the async iterator, regular-expression subscriptions, a
 * subscription changed while running, partitions processed concurrently, pause and resume; and
 * the argument errors of group mode.
 */
import { StrataConfigError, type Admin } from '../../src';
import { until } from '../helpers/collect';
import { rejectionOf } from '../helpers/connections';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { uniqueTopic } from '../helpers/test-broker';

describe('consuming as a group member', () => {
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

  async function topicWith(partitions: number, records: number, name = uniqueTopic('consumption')): Promise<string> {
    await env.createTopic(name, partitions);
    if (records > 0) await env.produce(name, Array.from({ length: partitions * records }, (_, i) => ({ value: `v${i}`, partition: i % partitions })));
    return name;
  }

  it('for await joins the group; leaving the loop commits what the loop finished and leaves the group', async () => {
    const topic = await topicWith(1, 5);
    const consumer = await env.consumer({ groupId: 'iterating', maxWaitMs: 50 });
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    const offsets: number[] = [];
    for await (const message of consumer) {
      offsets.push(message.offset);
      if (offsets.length === 3) break; // offset 2 is in hand: not known to be processed
    }
    expect(offsets).toEqual([0, 1, 2]);
    const group = await admin.describeGroup('iterating');
    expect(group.state).toBe('empty');
    expect(group.offsets.map((o) => o.committedOffset)).toEqual([2]);

    const again: number[] = [];
    for await (const message of consumer) {
      again.push(message.offset);
      if (message.offset === 4) break;
    }
    expect(again).toEqual([2, 3, 4]); // the record in hand at the break comes again
  });

  it('subscribes with a regular expression (whole names only) and to topics added while running', async () => {
    const eu = await topicWith(1, 1, `${uniqueTopic('orders')}-eu`);
    const prefix = eu.slice(0, -3);
    const us = await topicWith(1, 1, `${prefix}-us`);
    await topicWith(1, 1, `x-${prefix}-eu`);
    const other = await topicWith(1, 1);
    const consumer = await env.consumer({ groupId: 'patterns', maxWaitMs: 50 });
    consumer.subscribe({ topics: [new RegExp(`${prefix.replace(/[.-]/g, (c) => `\\${c}`)}-.+`)], fromBeginning: true });
    const topics = new Set<string>();
    await consumer.run({ eachMessage: ({ topic }) => void topics.add(topic) });
    await until(() => topics.size === 2, 'both matching topics');
    expect([...topics].sort()).toEqual([eu, us].sort());
    consumer.subscribe({ topics: [other], fromBeginning: true });
    await until(() => topics.has(other), 'the topic subscribed to while running');
    expect(topics.size).toBe(3);
  });

  it('processes partitions concurrently with partitionsConsumedConcurrently, each in order', async () => {
    const topic = await topicWith(2, 3);
    const consumer = await env.consumer({ groupId: 'concurrent', maxWaitMs: 50 });
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    // Partition 0's first record waits for partition 1's last: with one partition at a time this
    // would never finish.
    let partition1Done!: () => void;
    const done1 = new Promise<void>((resolve) => (partition1Done = resolve));
    const order: Array<[number, number]> = [];
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ partition, message }) => {
        if (partition === 0 && message.offset === 0) await done1;
        order.push([partition, message.offset]);
        if (partition === 1 && message.offset === 2) partition1Done();
      },
    });
    await until(() => order.length === 6, 'every record');
    expect(order.filter(([p]) => p === 0).map(([, o]) => o)).toEqual([0, 1, 2]);
    expect(order.filter(([p]) => p === 1).map(([, o]) => o)).toEqual([0, 1, 2]);
    expect(order[0]).toEqual([1, 0]);
  });

  it('pauses and resumes partitions it owns', async () => {
    const topic = await topicWith(2, 0);
    const consumer = await env.consumer({ groupId: 'pausing', maxWaitMs: 50 });
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    const seen: Array<[number, number]> = [];
    await consumer.run({ eachMessage: ({ partition, message }) => void seen.push([partition, message.offset]) });
    await until(() => consumer.assignment().length === 2 && consumer.position(topic, 0) !== null, 'assigned and positioned');
    consumer.pause([{ topic, partitions: [0] }]);
    await env.produce(topic, [0, 1, 0, 1].map((partition, i) => ({ value: `p${i}`, partition })));
    await until(() => seen.length === 2, 'partition 1');
    expect(seen.every(([p]) => p === 1)).toBe(true);
    expect(consumer.paused()).toEqual([{ topic, partition: 0 }]);
    consumer.resume([{ topic }]);
    await until(() => seen.length === 4, 'partition 0 after resume');
  });

  it('refuses to mix modes and explains bad group arguments', async () => {
    const plain = env.strata.consumer();
    expect(() => plain.subscribe({ topics: ['t'] })).toThrow(/no groupId/);
    const grouped = await env.consumer({ groupId: 'args' });
    expect(() => grouped.assign([{ topic: 't', partition: 0 }])).toThrow(/subscribe\(\)/);
    expect(() => grouped.subscribe({ topics: [/orders/i] })).toThrow(/flags/);
    expect(() => grouped.subscribe({ topics: [] })).toThrow(/must not be empty/);
    expect(() => grouped.subscribe({ topics: ['bad name!'] })).toThrow(/subscribe/);
    expect(await rejectionOf(grouped.run({ eachMessage: () => undefined }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/subscribe/) });
    expect(() => env.strata.consumer({ autoCommit: false })).toThrow(StrataConfigError);
    expect(() => env.strata.consumer({ autoCommit: false })).toThrow(/groupId/);
    expect(() => env.strata.consumer({ groupId: 'g', autoCommit: false, deliverySemantics: 'at-most-once' })).toThrow(/needs autoCommit/);
    expect(() => env.strata.consumer({ groupId: '' })).toThrow(StrataConfigError);
  });
});
