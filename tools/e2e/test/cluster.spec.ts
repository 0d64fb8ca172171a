/**
 * A replicated cluster of real processes: etcd (Debian's etcd-server) and three broker binaries
 * on loopback. What the replication promises, checked by outcome (never by time):
 * - a topic with replication factor 3 has a leader and three in-sync replicas on three brokers;
 * - acknowledged acks=all records survive SIGKILL of the leader: a new leader is elected from the
 *   ISR, idempotent producers go on without a failed send, and every record is there once, in order;
 * - with 2 of 3 brokers down, acks=all is refused with NOT_ENOUGH_REPLICAS (nothing written);
 * - SIGTERM (controlled shutdown) moves leadership first, so no produce call fails;
 * - a consumer group survives SIGKILL of its coordinator: a new leader of its __consumer_offsets
 *   partition takes over, every record is consumed, committed offsets never go backwards;
 * - replicas are byte-identical up to the high watermark after healing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strata, silentLogger, type Admin, type StrataError } from '@strata/client';
import { LocalCluster } from '@strata/tools-kit';
import { until } from './until';

const TOPIC = 'replicated';

async function leaderOf(admin: Admin, partition: number): Promise<{ leader: number; isr: number[]; replicas: number[] }> {
  const c = await admin.describeCluster();
  const p = c.topics.find((t) => t.name === TOPIC)!.partitions[partition]!;
  return { leader: p.leader, isr: p.isr, replicas: p.replicas };
}

describe('a replicated cluster (etcd + 3 broker processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cluster-'));
  const cluster = new LocalCluster({
    brokers: 3,
    dataDir: dir,
    settings: { 'default.replication.factor': '3', 'min.insync.replicas': '2', 'replica.lag.time.max.ms': '3000', 'leader.imbalance.check.interval.ms': '600000' },
  });
  let strata: Strata;
  let admin: Admin;

  beforeAll(async () => {
    await cluster.start();
    strata = new Strata({ brokers: cluster.urls, clientId: 'cluster-test', logger: silentLogger });
    admin = strata.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
    await until('every partition in sync', async () => {
      const c = await admin.describeCluster();
      const t = c.topics.find((x) => x.name === TOPIC);
      return t && t.partitions.every((p) => p.leader > 0 && p.isr.length === 3);
    });
  });

  afterAll(async () => {
    await admin?.disconnect();
    await cluster.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('places three replicas of each partition on three brokers and spreads the leaders', async () => {
    const c = await admin.describeCluster();
    expect(c.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    expect(c.controller).toBeGreaterThan(0);
    const t = c.topics.find((x) => x.name === TOPIC)!;
    for (const p of t.partitions) expect([...p.replicas].sort()).toEqual([1, 2, 3]);
    expect(new Set(t.partitions.map((p) => p.leader)).size).toBe(3);
  });

  it('keeps every acknowledged record across SIGKILL of a leader, without a failed send or a duplicate', async () => {
    const producer = strata.producer();
    await producer.connect();
    const failures: StrataError[] = [];
    const sent: string[] = [];
    const before = await leaderOf(admin, 0);
    let killed = false;
    for (let i = 0; i < 60; i++) {
      const values = Array.from({ length: 50 }, (_, k) => `r-${i}-${k}`);
      const send = producer.send({ topic: TOPIC, messages: values.map((value) => ({ key: value.slice(0, 4), value, partition: 0 })) }).then(
        () => void sent.push(...values),
        (e: StrataError) => void failures.push(e),
      );
      if (i === 20) {
        await cluster.broker(before.leader).kill();
        killed = true;
      }
      await send;
    }
    await producer.disconnect();
    expect(killed).toBe(true);
    expect(failures.map((f) => `${f.code}: ${f.message}`)).toEqual([]);
    const after = await until('a new leader', async () => {
      const l = await leaderOf(admin, 0);
      return l.leader > 0 && l.leader !== before.leader ? l : null;
    });
    expect(before.isr).toContain(after.leader);
    // Every acknowledged record, once, in order.
    const consumer = strata.consumer({ maxWaitMs: 100 });
    await consumer.connect();
    consumer.assign([{ topic: TOPIC, partition: 0, fromBeginning: true }]);
    const got: string[] = [];
    for await (const batch of consumer.batches()) {
      for (const m of batch.messages) got.push(m.valueString()!);
      if (got.length >= sent.length) break;
    }
    await consumer.disconnect();
    expect(got).toEqual(sent);
    await cluster.broker(before.leader).start();
    await until('the restarted broker back in the ISR', async () => (await leaderOf(admin, 0)).isr.length === 3);
  });

  it('refuses acks=all with NOT_ENOUGH_REPLICAS while 2 of 3 brokers are down, and writes nothing', async () => {
    const { leader } = await leaderOf(admin, 1);
    const others = [1, 2, 3].filter((id) => id !== leader);
    const offsetsBefore = await admin.fetchTopicOffsets(TOPIC);
    await Promise.all(others.map((id) => cluster.broker(id).kill()));
    try {
      await until('the ISR to shrink to the leader', async () => (await leaderOf(admin, 1)).isr.length === 1);
      const producer = strata.producer({ deliveryTimeoutMs: 3000, timeoutMs: 1000, lingerMs: 0 });
      await producer.connect();
      const error = await producer.send({ topic: TOPIC, messages: [{ value: 'refused', partition: 1 }] }).then(
        () => null,
        (e: StrataError) => e,
      );
      await producer.disconnect();
      expect(error).not.toBeNull();
      expect(`${error!.message} ${String((error!.cause as Error | undefined)?.message ?? '')}`).toMatch(/NOT_ENOUGH_REPLICAS|in-sync replica/);
      const offsetsAfter = await admin.fetchTopicOffsets(TOPIC);
      expect(offsetsAfter.find((o) => o.partition === 1)!.high).toBe(offsetsBefore.find((o) => o.partition === 1)!.high);
    } finally {
      await Promise.all(others.map((id) => cluster.broker(id).start()));
    }
    await until('every replica back in sync', async () => {
      const c = await admin.describeCluster();
      return c.topics.find((x) => x.name === TOPIC)!.partitions.every((p) => p.isr.length === 3);
    });
  });

  it('moves leadership away on SIGTERM (controlled shutdown): no produce call fails', async () => {
    const producer = strata.producer();
    await producer.connect();
    const failures: StrataError[] = [];
    const { leader } = await leaderOf(admin, 2);
    let stopped: Promise<number | null> | null = null;
    for (let i = 0; i < 40; i++) {
      const send = producer.send({ topic: TOPIC, messages: [{ value: `cs-${i}`, partition: 2 }] }).catch((e: StrataError) => void failures.push(e));
      if (i === 10) stopped = cluster.broker(leader).stop();
      await send;
    }
    expect(await stopped).toBe(0);
    await producer.disconnect();
    expect(failures.map((f) => `${f.code}: ${f.message}`)).toEqual([]);
    expect((await leaderOf(admin, 2)).leader).not.toBe(leader);
    await cluster.broker(leader).start();
    await until('the stopped broker back in the ISR', async () => (await leaderOf(admin, 2)).isr.length === 3);
  });

  it('keeps a consumer group going when its coordinator is killed: every record consumed, commits never go backwards', async () => {
    const GROUPED = 'grouped';
    await admin.createTopics({ topics: [{ topic: GROUPED, numPartitions: 3 }] });
    const producer = strata.producer();
    await producer.connect();
    const sent = new Set<string>();
    const produce = async (from: number, to: number): Promise<void> => {
      const values = Array.from({ length: to - from }, (_, i) => `g-${from + i}`);
      await producer.send({ topic: GROUPED, messages: values.map((value, i) => ({ value, partition: (from + i) % 3 })) });
      for (const v of values) sent.add(v);
    };
    await produce(0, 300);

    const consumer = strata.consumer({ groupId: 'failover-group', maxWaitMs: 100 });
    await consumer.connect();
    consumer.subscribe({ topics: [GROUPED], fromBeginning: true });
    const seen = new Set<string>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.valueString()!);
      },
    });
    // Committed offsets, sampled all along: per partition they only ever move forward.
    const backwards: string[] = [];
    const lastCommitted = new Map<number, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const [t] = await admin.fetchOffsets({ groupId: 'failover-group', topics: [GROUPED] });
          for (const p of t?.partitions ?? []) {
            const prev = lastCommitted.get(p.partition) ?? -1;
            if (p.offset < prev) backwards.push(`partition ${p.partition}: ${prev} -> ${p.offset}`);
            lastCommitted.set(p.partition, Math.max(prev, p.offset));
          }
        } catch {
          // The coordinator is moving: the next sample asks the new one.
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    await until('the first records consumed and committed', async () => seen.size >= 150 && [...lastCommitted.values()].some((o) => o > 0));
    const { coordinator } = await admin.describeGroup('failover-group', { includeOffsets: false });
    expect([1, 2, 3]).toContain(coordinator);
    await cluster.broker(coordinator).kill();
    await produce(300, 600);
    await until('every record consumed after the failover', async () => [...sent].every((v) => seen.has(v)), 600);
    const moved = await until('a new coordinator', async () => {
      const g = await admin.describeGroup('failover-group', { includeOffsets: false });
      return g.coordinator !== coordinator ? g : null;
    });
    expect(moved.coordinator).not.toBe(coordinator);
    // Group membership is not replicated: the new coordinator fences the member's next commit, the
    // member rejoins at once, gets its partitions back from the last commit (records since then
    // are delivered again: at-least-once) and commits everything while still running.
    await until('every record committed through the new coordinator', async () => {
      if ([0, 1, 2].every((p) => lastCommitted.get(p) === 200)) return true;
      throw new Error(`committed so far: ${JSON.stringify([...lastCommitted])}, consumed ${seen.size} of ${sent.size}`);
    });
    await consumer.disconnect();
    await producer.disconnect();
    sampling = false;
    await sampler;
    expect(backwards).toEqual([]);
    const [final] = await admin.fetchOffsets({ groupId: 'failover-group', topics: [GROUPED] });
    expect(final!.partitions.map((p) => [p.partition, p.offset])).toEqual([
      [0, 200],
      [1, 200],
      [2, 200],
    ]);
    await cluster.broker(coordinator).start();
    await until('the restarted broker back in every ISR', async () => {
      const c = await admin.describeCluster();
      return c.topics.filter((t) => t.name === TOPIC || t.name === GROUPED).every((t) => t.partitions.every((p) => p.isr.length === 3));
    });
  });

  it('reports a group\'s lag on every partition, also those its coordinator holds no replica of', async () => {
    // Replication factor 1 on three brokers: the coordinator holds at most one of the three partitions.
    await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 3, replicationFactor: 1, configs: { 'min.insync.replicas': '1' } }] });
    const producer = strata.producer();
    await producer.connect();
    await producer.send({ topic: 'spread', messages: Array.from({ length: 30 }, (_, i) => ({ value: `s-${i}`, partition: i % 3 })) });
    await producer.disconnect();
    await admin.resetOffsets({ groupId: 'spread-group', topic: 'spread', to: { partitions: [0, 1, 2].map((partition) => ({ partition, offset: 4 })) } });
    const described = await admin.describeGroup('spread-group');
    const placed = (await admin.describeTopics({ topics: ['spread'] })).topics[0]!.partitions.map((p) => p.replicas[0]);
    expect(placed.filter((id) => id !== described.coordinator).length).toBeGreaterThan(0);
    expect(described.offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag])).toEqual([
      [0, 4, 10, 6],
      [1, 4, 10, 6],
      [2, 4, 10, 6],
    ]);
  });

  it('keeps the replicas byte-identical up to the high watermark', async () => {
    await until('every replica back in sync', async () => {
      const c = await admin.describeCluster();
      return c.topics.find((x) => x.name === TOPIC)!.partitions.every((p) => p.isr.length === 3);
    });
    const offsets = (await admin.fetchTopicOffsets(TOPIC)).filter((o) => o.high > 0);
    expect(offsets.length).toBeGreaterThanOrEqual(2);
    for (const o of offsets) {
      const copies = [1, 2, 3].map((id) => {
        const folder = join(dir, `broker-${id}`, `${TOPIC}-${o.partition}`);
        const logs = readdirSync(folder).filter((n) => n.endsWith('.log')).sort();
        return Buffer.concat(logs.map((n) => readFileSync(join(folder, n))));
      });
      // Every copy holds the batches up to the high watermark; compare the shortest prefix.
      const shortest = Math.min(...copies.map((c) => c.length));
      expect(shortest).toBeGreaterThan(0);
      for (const c of copies) expect(c.subarray(0, shortest).equals(copies[0]!.subarray(0, shortest))).toBe(true);
    }
  });
});
