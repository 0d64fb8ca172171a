/**
 * Broker memory under load: the built broker binary with its default settings (1 GiB segments,
 * 32 MiB of tail caches...), a topic of `--partitions` partitions, `--clients` connected clients —
 * half producers sending `--messages-per-second` records of `--value-bytes` bytes spread over every
 * partition (acks=1, one batch per partition per request), half consumers each reading its share
 * of the partitions from the beginning — for `--minutes`. Samples the broker's resident memory
 * every second and prints the peak, the median and the slope over the second half of the run
 * (MiB/min: about 0 when memory is flat), then exits.
 *
 *   npm run memory -w @strata/bench -- --partitions 1000 --clients 100 --minutes 10
 *
 * Every 10 s a line shows RSS and the V8 heap and external (Buffer) memory from the broker's
 * /metrics. To find what grows: `--probe` starts the broker under the inspector and shows
 * process.memoryUsage() after a forced full GC instead (live memory, without garbage not yet
 * collected); `--heap-snapshot <file>` also writes a heap snapshot at the end of the load and
 * prints its heaviest object groups; `--allocation-profile` prints the functions that allocated
 * the most JS heap during the run (V8's sampling heap profiler: where the garbage comes from).
 * `--setting key=value` (repeatable) passes a broker setting,
 * `--node-arg <flag>` (repeatable) a flag to node running the broker (e.g. --max-semi-space-size=4),
 * `--broker-bin <path>` another build of strata-broker.js to measure (e.g. of the main branch).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger, type Consumer, type Producer } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';
import { InspectorProbe, inspectorUrl, summarizeHeapSnapshot, type MemoryBreakdown } from './inspector-probe';
import { fmt, median, slope } from './stats';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '100' },
    minutes: { type: 'string', default: '1' },
    'messages-per-second': { type: 'string', default: '20000' },
    'value-bytes': { type: 'string', default: '200' },
    setting: { type: 'string', multiple: true, default: [] },
    probe: { type: 'boolean', default: false },
    'heap-snapshot': { type: 'string' },
    'allocation-profile': { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'broker-bin': { type: 'string' },
  },
  strict: true,
});

function positive(name: string, value: string, integer = true): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

const PARTITIONS = positive('partitions', args.partitions);
const CLIENTS = positive('clients', args.clients);
if (CLIENTS < 2) throw new Error('--clients must be at least 2 (half producers, half consumers)');
const MINUTES = positive('minutes', args.minutes, false);
const RATE = positive('messages-per-second', args['messages-per-second']);
const VALUE = new Uint8Array(positive('value-bytes', args['value-bytes'])).fill(97);
const SETTINGS: Record<string, string> = {};
for (const s of args.setting) {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`--setting takes key=value, got "${s}"`);
  SETTINGS[s.slice(0, eq)] = s.slice(eq + 1);
}
const SNAPSHOT = args['heap-snapshot'];
const ALLOCATIONS = args['allocation-profile'];
const PROBE = args.probe || SNAPSHOT !== undefined || ALLOCATIONS;
const NODE_ARGS = [...args['node-arg'], ...(PROBE ? ['--inspect=127.0.0.1:0'] : [])];
const TICK_MS = 100;
const REPORT_EVERY_S = 10;
/** How long clients get to close at the end before the run gives up on them. */
const CLOSE_TIMEOUT_MS = 15_000;

const mib = (b: number) => b / 1024 / 1024;

/** heapUsed and external of the broker from its Prometheus text at /metrics (prom-client's default metrics, unprefixed). */
async function scrapeMemory(url: string): Promise<{ heapUsed: number; external: number } | null> {
  try {
    const text = await (await fetch(url)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return { heapUsed: value('nodejs_heap_size_used_bytes'), external: value('nodejs_external_memory_bytes') };
  } catch {
    return null;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-mem-'));
  const port = await freePort();
  const broker = new BrokerProcess({ dataDir, port, settings: SETTINGS, nodeArgs: NODE_ARGS, ...(args['broker-bin'] ? { bin: args['broker-bin'] } : {}) });
  await broker.start();
  let probe: InspectorProbe | null = null;
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  const work: Array<Promise<void>> = [];
  let stop = false;
  let produced = 0;
  let consumed = 0;
  let failures = 0;
  try {
    if (PROBE) {
      const url = inspectorUrl(broker.lastOutput);
      if (!url) throw new Error(`the broker printed no inspector URL:\n${broker.lastOutput}`);
      probe = await InspectorProbe.connect(url);
    }
    const admin = new Strata({ brokers: [broker.url], clientId: 'mem-admin', logger: silentLogger }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mem', numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const producerCount = Math.floor(CLIENTS / 2);
    const consumerCount = CLIENTS - producerCount;
    // Each producer sends one request per tick, on a fixed schedule (a slow request is caught up
    // by sending the next one at once, never by sending more per request).
    const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000 / producerCount));
    // Load starts once every client is connected, with the clock the figures are taken on.
    let go: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (go = resolve));
    for (let i = 0; i < producerCount; i++) {
      const producer = new Strata({ brokers: [broker.url], clientId: `mem-p${i}`, logger: silentLogger }).producer();
      await producer.connect();
      producers.push(producer);
      work.push(
        (async () => {
          let n = i * perTick;
          await started;
          const begin = Date.now();
          for (let tick = 0; !stop; tick++) {
            const messages = Array.from({ length: perTick }, () => ({ value: VALUE, partition: n++ % PARTITIONS }));
            try {
              await producer.send({ topic: 'mem', messages, acks: 1 });
              produced += messages.length;
            } catch {
              failures++;
            }
            const wait = begin + (tick + 1) * TICK_MS - Date.now();
            if (wait > 0) await sleep(wait);
          }
        })(),
      );
    }
    const share = Math.ceil(PARTITIONS / consumerCount);
    for (let i = 0; i < consumerCount; i++) {
      const consumer = new Strata({ brokers: [broker.url], clientId: `mem-c${i}`, logger: silentLogger }).consumer({ maxWaitMs: 500 });
      await consumer.connect();
      consumers.push(consumer);
      const mine = Array.from({ length: share }, (_, k) => i * share + k).filter((p) => p < PARTITIONS);
      if (mine.length === 0) continue;
      consumer.assign(mine.map((partition) => ({ topic: 'mem', partition, fromBeginning: true })));
      work.push(
        (async () => {
          for await (const batch of consumer.batches()) {
            consumed += batch.messages.length;
            if (stop) break;
          }
        })(),
      );
    }

    const seconds = Math.round(MINUTES * 60);
    const samples: Array<{ t: number; rss: number }> = [];
    const live: MemoryBreakdown[] = [];
    if (probe && ALLOCATIONS) await probe.startAllocationSampling();
    const t0 = Date.now();
    go();
    process.stderr.write(`${PARTITIONS} partitions, ${producerCount} producers, ${consumerCount} consumers, ${fmt(RATE)} msgs/s asked, ${MINUTES} min\n`);
    for (let s = 1; s <= seconds; s++) {
      await sleep(t0 + s * 1000 - Date.now());
      const rss = broker.rssBytes();
      samples.push({ t: (Date.now() - t0) / 60_000, rss });
      if (s % REPORT_EVERY_S !== 0) continue;
      let inside: string;
      if (probe) {
        const m = await probe.memoryUsage(true);
        live.push(m);
        inside = `after GC: heap ${fmt(mib(m.heapUsed), 1)} of ${fmt(mib(m.heapTotal), 1)}, external ${fmt(mib(m.external), 1)} (array buffers ${fmt(mib(m.arrayBuffers), 1)}), rss ${fmt(mib(m.rss), 1)}`;
      } else {
        const m = await scrapeMemory(`http://127.0.0.1:${port}/metrics`);
        inside = m ? `heap ${fmt(mib(m.heapUsed), 1)}, external ${fmt(mib(m.external), 1)}` : 'no /metrics';
      }
      process.stderr.write(`${s}s: rss ${fmt(mib(rss), 1)} MiB; ${inside} MiB; produced ${fmt(produced)}, consumed ${fmt(consumed)}\n`);
    }
    const elapsed = (Date.now() - t0) / 1000;
    if (probe && ALLOCATIONS) {
      process.stderr.write('JS allocations during the run by function (sampled, garbage included):\n');
      for (const a of await probe.stopAllocationSampling(30)) process.stderr.write(`  ${fmt(mib(a.bytes), 1).padStart(8)} MiB  ${a.site}\n`);
    }
    if (probe) {
      const spaces = await probe.heapSpaces();
      process.stderr.write(`V8 heap spaces (committed/used MiB): ${spaces.map((sp) => `${sp.space} ${fmt(mib(sp.committed), 1)}/${fmt(mib(sp.used), 1)}`).join(', ')}\n`);
    }
    if (probe && SNAPSHOT) {
      await probe.heapSnapshot(SNAPSHOT);
      process.stderr.write(`heap snapshot written to ${SNAPSHOT}; heaviest groups (self size):\n`);
      for (const g of await summarizeHeapSnapshot(SNAPSHOT, 25)) process.stderr.write(`  ${fmt(mib(g.bytes), 2).padStart(9)} MiB  ${fmt(g.count).padStart(10)}  ${g.name}\n`);
    }

    const rss = samples.map((s) => mib(s.rss));
    const half = samples.filter((s) => s.t >= samples[samples.length - 1]!.t / 2);
    const rssSlope = slope(half.map((s) => s.t), half.map((s) => mib(s.rss)));
    const lines = [
      `${PARTITIONS} partitions, ${CLIENTS} clients (${producerCount} producers, ${consumerCount} consumers), ${fmt(elapsed / 60, 1)} min, ` +
        `${fmt(produced / elapsed)} msgs/s produced, ${fmt(consumed / elapsed)} msgs/s consumed${failures > 0 ? `, ${fmt(failures)} failed sends` : ''}`,
      `broker settings: ${Object.keys(SETTINGS).length > 0 ? Object.entries(SETTINGS).map(([k, v]) => `${k}=${v}`).join(' ') : 'defaults'}`,
      `broker RSS: peak ${fmt(Math.max(...rss), 1)} MiB, median ${fmt(median(rss), 1)} MiB, slope over the second half ${fmt(rssSlope, 2)} MiB/min`,
    ];
    if (live.length > 1) {
      const second = live.slice(Math.floor(live.length / 2));
      const at = second.map((_, i) => ((Math.floor(live.length / 2) + i + 1) * REPORT_EVERY_S) / 60);
      lines.push(
        `live after GC (last): heap ${fmt(mib(live[live.length - 1]!.heapUsed), 1)} MiB (slope ${fmt(slope(at, second.map((m) => mib(m.heapUsed))), 2)} MiB/min), ` +
          `external ${fmt(mib(live[live.length - 1]!.external), 1)} MiB (slope ${fmt(slope(at, second.map((m) => mib(m.external))), 2)} MiB/min)`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    stop = true;
    probe?.close();
    // Producers end their loop at the next tick; consumers are stopped from here (an iterator
    // waiting for data that no longer comes would otherwise wait forever).
    const closing = Promise.all([
      ...work,
      ...producers.map((p) => p.disconnect().catch(() => undefined)),
      ...consumers.map((c) => c.disconnect().catch(() => undefined)),
    ]);
    if ((await withTimeout(closing, CLOSE_TIMEOUT_MS)) === 'timeout') {
      process.stderr.write(`clients did not close within ${CLOSE_TIMEOUT_MS / 1000} s\n`);
      process.exitCode = 1;
    }
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => {
    // Anything still open (a client that did not close, reported above) must not keep the run going.
    if (process.exitCode === 1) process.exit(1);
  },
  (e: unknown) => {
    process.stderr.write(`memory bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
