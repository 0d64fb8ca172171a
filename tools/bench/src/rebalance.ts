/**
 * Rebalance timings with default consumer options (issue 11), against a fresh broker binary:
 *
 * - join: three members of one group over a 3-partition topic start together; the clock runs from
 *   the last member's join (its consumer.group_join event) until every member holds exactly one
 *   partition (from their consumer.rebalance events);
 * - leave: with records flowing into every partition (a producer, one record per partition every
 *   2 ms), one member leaves cleanly (disconnect()); the clock runs from the disconnect() call
 *   until another member has processed a record of each partition the leaver held.
 *
 * Redis Streams has no partition ownership to rebalance, so there is no peer row.
 *
 *   npm run build && npm run rebalance -w @strata/bench -- --runs 5
 */
import { parseArgs } from 'node:util';
import { Strata, silentLogger, type Consumer } from '@strata/client';
import { fillTopic, withBroker } from './bench-topic';
import { fmt, median } from './stats';

export interface RebalanceRow {
  scenario: string;
  members: number;
  medianMs: number;
  maxMs: number;
  perRunMs: number[];
}

interface Member {
  consumer: Consumer;
  /** Partitions held now. */
  held: Set<number>;
  joinedAt: number;
  /** Last time each partition's record was processed by this member. */
  lastRecordAt: Map<number, number>;
}

const PARTITIONS = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function startMember(strata: Strata, topic: string, groupId: string): Member {
  const consumer = strata.consumer({ groupId });
  const m: Member = { consumer, held: new Set(), joinedAt: 0, lastRecordAt: new Map() };
  consumer.on('consumer.group_join', () => (m.joinedAt = performance.now()));
  consumer.on('consumer.rebalance', (e) => {
    for (const tp of e.payload.revoked) m.held.delete(tp.partition);
    for (const tp of e.payload.lost) m.held.delete(tp.partition);
    for (const tp of e.payload.assigned) m.held.add(tp.partition);
  });
  consumer.subscribe({ topics: [topic], fromBeginning: true });
  return m;
}

const eachOne = (members: readonly Member[]): boolean => {
  const seen = new Set<number>();
  for (const m of members) {
    if (m.held.size !== 1) return false;
    for (const p of m.held) seen.add(p);
  }
  return seen.size === members.length;
};

/** One run of both scenarios on a fresh broker; returns [join ms, leave ms]. */
async function runOnce(url: string, run: number): Promise<[number, number]> {
  const topic = `rebalance-${run}`;
  await fillTopic(url, topic, PARTITIONS, 0, 0);
  const strata = new Strata({ brokers: [url], clientId: 'bench-rebalance', logger: silentLogger });
  const groupId = `${topic}-group`;
  const members = Array.from({ length: PARTITIONS }, () => startMember(strata, topic, groupId));
  await Promise.all(members.map((m) => m.consumer.connect()));
  for (const m of members) {
    await m.consumer.run({
      eachMessage: ({ partition }) => void m.lastRecordAt.set(partition, performance.now()),
    });
  }
  const producer = strata.producer({ lingerMs: 0 });
  await producer.connect();
  let producing = true;
  const flowing = (async () => {
    while (producing) {
      await producer.send({ topic, messages: Array.from({ length: PARTITIONS }, (_, p) => ({ value: 'x', partition: p })) });
      await sleep(2);
    }
  })();
  try {
    const settled = await waitFor('one partition per member', () => eachOne(members) && members.every((m) => m.joinedAt > 0), 60_000);
    const joinMs = settled - Math.max(...members.map((m) => m.joinedAt));
    await sleep(200); // steady state before the leave
    const leaver = members[0]!;
    const others = members.slice(1);
    const given = [...leaver.held];
    const leftAt = performance.now();
    await leaver.consumer.disconnect();
    const taken = await waitFor(
      `partitions ${given.join(',')} consumed by another member`,
      () => given.every((p) => others.some((o) => (o.lastRecordAt.get(p) ?? 0) > leftAt)),
      60_000,
    );
    return [joinMs, taken - leftAt];
  } finally {
    producing = false;
    await flowing;
    await producer.disconnect();
    await Promise.all(members.slice(1).map((m) => m.consumer.disconnect()));
  }
}

export async function rebalanceBench(o: { runs: number }, log: (line: string) => void): Promise<RebalanceRow[]> {
  const join: number[] = [];
  const leave: number[] = [];
  for (let run = 0; run < o.runs; run++) {
    const [j, l] = await withBroker({}, (broker) => runOnce(broker.url, run));
    join.push(j);
    leave.push(l);
    log(`run ${run + 1}/${o.runs}: three members hold one partition each ${fmt(j, 1)} ms after the last join; a clean leave's partition consumed elsewhere after ${fmt(l, 1)} ms`);
  }
  const row = (scenario: string, v: number[]): RebalanceRow => ({ scenario, members: PARTITIONS, medianMs: median(v), maxMs: Math.max(...v), perRunMs: v });
  return [row('3 members start together: last join -> one partition each', join), row('a member leaves cleanly: disconnect() -> its partitions consumed by another', leave)];
}

export function renderRebalance(rows: readonly RebalanceRow[], runs: number): string {
  let out = `\nRebalance, default consumer options, ${runs} runs (3-partition topic, records flowing)\n\n`;
  out += '| scenario | members | median ms | max ms |\n| --- | ---: | ---: | ---: |\n';
  for (const r of rows) out += `| ${r.scenario} | ${r.members} | ${fmt(r.medianMs, 1)} | ${fmt(r.maxMs, 1)} |\n`;
  return out;
}

if (require.main === module) {
  const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (args.help) {
    process.stdout.write('Rebalance timings with default options (npm run build first)\n\n  --runs N   runs (default 5)\n  --json     print JSON instead of a table\n');
    process.exit(0);
  }
  const runs = Number(args.runs);
  rebalanceBench({ runs }, (line) => void process.stderr.write(`${line}\n`))
    .then((rows) => process.stdout.write(args.json ? JSON.stringify({ runs, rows }, null, 2) + '\n' : renderRebalance(rows, runs)))
    .catch((e: unknown) => {
      process.stderr.write(`rebalance bench failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
}
