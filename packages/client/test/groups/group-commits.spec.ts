/**
 * Offsets of a group consumer: auto-commit on revocation, on disconnect, by interval and
 * threshold; manual commits; at-most-once; where a member starts (committed offset, fromBeginning,
 * autoOffsetReset, out of range).
 */
import type { ConsumerMessage, TopicPartitionOffset } from '../../src';
import { until } from '../helpers/collect';
import { rejectionOf } from '../helpers/connections';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { killableTransport } from '../helpers/killable-transport';
import { testClient, uniqueTopic } from '../helpers/test-broker';

describe('group consumer offsets', () => {
  let env: GroupEnv;
  beforeAll(async () => {
    env = await startGroupEnv();
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  async function topicWith(partitions: number, records: number): Promise<string> {
    const topic = uniqueTopic('commits');
    await env.createTopic(topic, partitions);
    if (records > 0) await env.produce(topic, Array.from({ length: partitions * records }, (_, i) => ({ value: `v${i}`, partition: i % partitions })));
    return topic;
  }

  /** A member that records what it processes and what it committed. */
  async function member(groupId: string, topic: string, options: Parameters<GroupEnv['consumer']>[0] = {}) {
    const consumer = await env.consumer({ groupId, maxWaitMs: 50, ...options });
    const seen: ConsumerMessage[] = [];
    const commits: TopicPartitionOffset[] = [];
    consumer.on('consumer.commit', ({ payload }) => commits.push(...payload.offsets));
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    return { consumer, seen, commits, run: () => consumer.run({ eachMessage: ({ message }) => void seen.push(message) }) };
  }

  it('commits the processed offsets of a revoked partition before handing it over', async () => {
    const topic = await topicWith(2, 20);
    const a = await member('revoke', topic, { autoCommitInterval: 600_000 }); // no timed commits
    await a.run();
    await until(() => a.seen.length === 40, 'a processed everything');
    const b = await member('revoke', topic);
    await b.run();
    await until(() => a.consumer.assignment().length === 1 && b.consumer.assignment().length === 1, 'one partition each');
    const moved = b.consumer.assignment()[0]!.partition;
    expect(a.commits).toContainEqual({ topic, partition: moved, offset: 20 });
    await env.produce(topic, [{ value: 'late', partition: moved }]);
    await until(() => b.seen.length === 1, 'b gets the new record');
    expect(b.seen.map((m) => [m.partition, m.offset])).toEqual([[moved, 20]]); // nothing processed twice
  });

  it('commits on disconnect, on the interval and on the threshold', async () => {
    const topic = await topicWith(1, 30);
    const a = await member('timed', topic, { autoCommitInterval: 600_000, autoCommitThreshold: 10 });
    await a.run();
    await until(() => a.seen.length === 30, 'all processed');
    await until(() => a.commits.some((c) => c.offset === 30), 'a commit after the threshold');
    await env.produce(topic, [{ value: 'one more', partition: 0 }]);
    await until(() => a.seen.length === 31, 'one more processed');
    await a.consumer.disconnect(); // below the threshold, no interval: only disconnect commits it
    expect(a.commits[a.commits.length - 1]).toEqual({ topic, partition: 0, offset: 31 });

    const b = await member('timed', topic, { autoCommitInterval: 100 });
    await b.run();
    await env.produce(topic, [{ value: 'after', partition: 0 }]);
    await until(() => b.commits.some((c) => c.offset === 32), 'the interval commits');
    expect(b.seen.map((m) => m.offset)).toEqual([31]);
  });

  it('with autoCommit off commits only what commitOffsets() says', async () => {
    const topic = await topicWith(1, 10);
    const a = await member('manual', topic, { autoCommit: false });
    await a.run();
    await until(() => a.seen.length === 10, 'all processed');
    await a.consumer.commitOffsets([{ topic, partition: 0, offset: 4 }]);
    expect(a.commits).toEqual([{ topic, partition: 0, offset: 4 }]);
    await a.consumer.disconnect(); // no automatic commit
    expect(a.commits).toHaveLength(1);
    expect(await rejectionOf(a.consumer.commitOffsets())).toMatchObject({ code: 'INVALID_ARGUMENT' }); // not in the group any more

    const b = await member('manual', topic, { autoCommit: false });
    await b.run();
    await until(() => b.seen.length === 6, 'the rest');
    expect(b.seen[0]!.offset).toBe(4);
    await b.consumer.commitOffsets(); // what it processed
    expect(b.commits).toEqual([{ topic, partition: 0, offset: 10 }]);
  });

  it('an explicit commit of the record in hand is not undone by the final automatic commit', async () => {
    const topic = await topicWith(1, 5);
    const consumer = await env.consumer({ groupId: 'explicit-then-auto', maxWaitMs: 50 });
    consumer.subscribe({ topics: [topic], fromBeginning: true });
    for await (const message of consumer) {
      if (message.offset === 2) {
        await consumer.commitOffsets([{ topic, partition: 0, offset: 3 }]); // finished it: say so before leaving the loop
        break;
      }
    }
    const admin = env.strata.admin();
    await admin.connect();
    expect(await admin.fetchOffsets({ groupId: 'explicit-then-auto' })).toEqual([{ topic, partitions: [{ partition: 0, offset: 3, metadata: '' }] }]);
    await admin.disconnect();
  });

  it('at-most-once commits fetched records before handing them out: a crash loses the rest, never repeats', async () => {
    const topic = await topicWith(1, 10);
    const network = killableTransport();
    const strata = testClient(env.broker.url, { transport: network.transport });
    const a = strata.consumer({ groupId: 'at-most-once', deliverySemantics: 'at-most-once', sessionTimeoutMs: 1_000, maxWaitMs: 50 });
    await a.connect();
    a.subscribe({ topics: [topic], fromBeginning: true });
    const commits: TopicPartitionOffset[] = [];
    a.on('consumer.commit', ({ payload }) => commits.push(...payload.offsets));
    const processedByA: number[] = [];
    await a.run({
      eachMessage: ({ message }) => {
        if (network.killed) return;
        processedByA.push(message.offset);
        network.kill(); // the process dies while handling its first record
      },
    });
    await until(() => processedByA.length === 1, 'a handles one record');
    expect(commits).toEqual([{ topic, partition: 0, offset: 10 }]); // committed before the handler ran
    await a.disconnect();

    const b = await member('at-most-once', topic, { sessionTimeoutMs: 1_000 });
    await b.run();
    await env.produce(topic, [{ value: 'new', partition: 0 }]);
    await until(() => b.seen.length === 1, 'b gets the new record'); // after a's session expired
    expect(b.seen[0]!.offset).toBe(10);
    expect(processedByA).toEqual([0]);
  });

  it('starts at the committed offset, else per fromBeginning or autoOffsetReset; none fails', async () => {
    const topic = await topicWith(1, 5);
    const latest = await env.consumer({ groupId: 'start-latest', maxWaitMs: 50 });
    latest.subscribe({ topics: [topic] }); // autoOffsetReset 'latest'
    const seen: number[] = [];
    await latest.run({ eachMessage: ({ message }) => void seen.push(message.offset) });
    await until(() => latest.assignment().length === 1 && latest.position(topic, 0) === 5, 'positioned at the end');
    await env.produce(topic, [{ value: 'x', partition: 0 }]);
    await until(() => seen.length === 1, 'the new record');
    expect(seen).toEqual([5]);

    const none = await env.consumer({ groupId: 'start-none', autoOffsetReset: 'none', maxWaitMs: 50 });
    none.subscribe({ topics: [topic] });
    const crashes: Error[] = [];
    none.on('consumer.crash', ({ payload }) => crashes.push(payload.error));
    await none.run({ eachMessage: () => undefined });
    await until(() => crashes.length === 1, 'a crash');
    expect(crashes[0]).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
  });

  it('a committed offset out of range follows autoOffsetReset', async () => {
    const topic = await topicWith(1, 5);
    const admin = env.strata.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: 'out-of-range', topic, to: { partitions: [{ partition: 0, offset: 1_000 }] } });
    await admin.disconnect();
    const m = await member('out-of-range', topic, { autoOffsetReset: 'earliest' });
    const resets: number[] = [];
    m.consumer.on('consumer.offset_reset', ({ payload }) => resets.push(payload.offset));
    await m.run();
    await until(() => m.seen.length === 5, 'the whole partition');
    expect(resets).toEqual([0]);
    expect(m.seen.map((s) => s.offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it('seeks within an owned partition and keeps committing from there', async () => {
    const topic = await topicWith(1, 10);
    const m = await member('seeker', topic, { autoCommitInterval: 50 });
    await m.run();
    await until(() => m.seen.length === 10, 'all processed');
    m.consumer.seek({ topic, partition: 0, offset: 3 });
    await until(() => m.seen.length === 17, 'offsets 3 to 9 again');
    await until(() => m.commits.length > 0 && m.commits[m.commits.length - 1]!.offset === 10, 'committed');
    expect(m.seen.slice(10).map((s) => s.offset)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
});
