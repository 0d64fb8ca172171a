/**
 * Chaos: 3 to 5 members of one group consume 200,000 records from 6 partitions while members are
 * killed (their network cut: no leave, no commit, heartbeats stop), restarted and added.
 * Afterwards:
 * - every record was processed at least once;
 * - every record processed twice was, the first time, beyond what that member had committed (an
 *   acknowledged commit): duplicates only come from a member's uncommitted window;
 * - within each ownership span (a member holding a partition from its assignment to its loss or
 *   revocation), the partition was processed in offset order, without gaps.
 * Session timeouts are short (broker settings), so abandoned members expire in about a second.
 */
import type { Consumer } from '../../src';
import { until } from '../helpers/collect';
import { startGroupEnv, type GroupEnv } from '../helpers/group-env';
import { killableTransport, type KillableTransport } from '../helpers/killable-transport';
import { seededRandom } from '../helpers/fault-proxy';
import { testClient, uniqueTopic } from '../helpers/test-broker';

const RECORDS = 200_000;
const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 1_500;

interface Processing {
  member: string;
  span: number;
  offset: number;
  at: number;
}

interface Commit {
  member: string;
  partition: number;
  offset: number;
  at: number;
}

interface Member {
  name: string;
  consumer: Consumer;
  network: KillableTransport;
}

describe('chaos in a consumer group', () => {
  let env: GroupEnv;
  beforeAll(async () => {
    env = await startGroupEnv();
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('processes every record at least once, duplicates only from uncommitted windows, each span in offset order', async () => {
    const topic = uniqueTopic('chaos');
    await env.createTopic(topic, PARTITIONS);
    const value = 'x'.repeat(100);
    const ends = new Array<number>(PARTITIONS).fill(0);
    const producer = env.strata.producer({ lingerMs: 0 });
    await producer.connect();
    for (let sent = 0; sent < RECORDS; sent += 10_000) {
      const results = await producer.send({ topic, messages: Array.from({ length: 10_000 }, (_, i) => ({ value, partition: (sent + i) % PARTITIONS })) });
      for (const r of results) ends[r.partition] = Math.max(ends[r.partition]!, r.offset + 1);
    }
    await producer.disconnect();
    expect(ends.reduce((a, b) => a + b, 0)).toBe(RECORDS);

    const processed: Processing[][] = Array.from({ length: PARTITIONS }, () => []);
    const commits: Commit[] = [];
    const spans = new Map<string, number>(); // member:partition -> current span id
    let nextSpan = 0;
    const coverage = Array.from({ length: PARTITIONS }, (_, p) => new Uint8Array(ends[p]!));
    let covered = 0;
    const live: Member[] = [];
    const dead: Member[] = [];
    let incarnations = 0;

    const start = async (slot: string, staticMember: boolean): Promise<Member> => {
      const name = `${slot}#${incarnations++}`;
      const network = killableTransport();
      const strata = testClient(env.broker.url, { transport: network.transport });
      const consumer = strata.consumer({
        groupId: 'chaos',
        groupInstanceId: staticMember ? slot : undefined,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        maxWaitMs: 100,
        autoCommitInterval: 150,
        autoCommitThreshold: 2_000,
      });
      await consumer.connect();
      consumer.subscribe({ topics: [topic], fromBeginning: true });
      consumer.on('consumer.rebalance', ({ payload }) => {
        for (const tp of payload.assigned) spans.set(`${name}:${tp.partition}`, nextSpan++);
      });
      consumer.on('consumer.commit', ({ payload }) => {
        if (network.killed) return; // a dead process hears nothing
        for (const o of payload.offsets) commits.push({ member: name, partition: o.partition, offset: o.offset, at: performance.now() });
      });
      let sinceYield = 0;
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (network.killed) return; // the process is dead: it processes nothing
          processed[partition]!.push({ member: name, span: spans.get(`${name}:${partition}`)!, offset: message.offset, at: performance.now() });
          const seen = coverage[partition]!;
          if (seen[message.offset] === 0) {
            seen[message.offset] = 1;
            covered++;
          }
          // Some work per record, so that the chaos below happens while the group consumes.
          if (++sinceYield % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        },
      });
      const member = { name, consumer, network };
      live.push(member);
      return member;
    };
    const kill = (member: Member): void => {
      member.network.kill();
      live.splice(live.indexOf(member), 1);
      dead.push(member);
    };

    const random = seededRandom(20_250_521);
    const slots = ['a', 'b', 'c'];
    for (const slot of slots) await start(slot, slot === 'a');
    let kills = 0;
    let restarts = 0;
    let additions = 0;
    while (covered < RECORDS && kills + restarts + additions < 12) {
      await new Promise((resolve) => setTimeout(resolve, 400 + random() * 400));
      const roll = random();
      if (roll < 0.45 && live.length > 3) {
        kill(live[Math.floor(random() * live.length)]!);
        kills++;
      } else if (roll < 0.75 && live.length >= 3) {
        // Kill and restart at once in the same slot (a crash and a supervisor restart).
        const victim = live[Math.floor(random() * live.length)]!;
        kill(victim);
        await start(victim.name.split('#')[0]!, victim.name.startsWith('a#'));
        restarts++;
      } else if (live.length < 5) {
        await start(`x${additions}`, false);
        additions++;
      } else {
        kill(live[Math.floor(random() * live.length)]!);
        kills++;
      }
    }
    await until(() => covered >= RECORDS, `every record processed (${covered} of ${RECORDS})`, 90_000);
    expect(kills + restarts).toBeGreaterThanOrEqual(3);
    expect(live.length).toBeGreaterThanOrEqual(3);
    await Promise.all([...live, ...dead].map((m) => m.consumer.disconnect().catch(() => undefined)));

    // 1. At least once: coverage is complete (checked by the wait above).
    // 2. In order within each span.
    const disorder: string[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const last = new Map<number, number>();
      for (const r of processed[p]!) {
        const previous = last.get(r.span);
        if (previous !== undefined && r.offset !== previous + 1) disorder.push(`${r.member} on partition ${p}: ${r.offset} after ${previous}`);
        last.set(r.span, r.offset);
      }
    }
    expect(disorder).toEqual([]);
    // 3. A record processed again was beyond what its earlier processor had committed by then.
    const commitsOf = new Map<string, Commit[]>(); // member:partition -> in acknowledgement order
    for (const c of commits) {
      const key = `${c.member}:${c.partition}`;
      commitsOf.set(key, [...(commitsOf.get(key) ?? []), c]);
    }
    /** The highest offset `member` had committed for partition `p` by time `at` (-1: none). */
    const committedBy = (member: string, p: number, at: number): number => {
      let max = -1;
      for (const c of commitsOf.get(`${member}:${p}`) ?? []) {
        if (c.at > at) break;
        max = Math.max(max, c.offset);
      }
      return max;
    };
    const outsideWindow: string[] = [];
    let duplicates = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const firstBy = new Map<number, Processing[]>();
      for (const r of processed[p]!) {
        const earlier = firstBy.get(r.offset);
        if (earlier) {
          duplicates++;
          for (const e of earlier) {
            const committed = committedBy(e.member, p, r.at);
            if (committed > e.offset) outsideWindow.push(`partition ${p} offset ${e.offset}: processed by ${e.member}, which had committed ${committed}, then again by ${r.member}`);
          }
          earlier.push(r);
        } else {
          firstBy.set(r.offset, [r]);
        }
      }
    }
    expect(outsideWindow.slice(0, 10)).toEqual([]);
    // Members killed between two commits leave duplicates behind.
    expect(duplicates).toBeGreaterThan(0);
  }, 120_000);
});
