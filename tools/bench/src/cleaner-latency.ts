/**
 * Does compaction disturb the request path? Fills a compacted topic with many versions of many
 * keys, then measures produce round-trip latency (acks=1, one message at a time, on another
 * topic) twice: while nothing is cleaned, and while the cleaner (a worker thread) compacts the
 * big topic. Prints p50/p99/max of both and the ratio.
 *
 *   npm run cleaner-latency -w @strata/bench -- --mib 256
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger, type Producer } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';
import { fmt } from './stats';

const { values: args } = parseArgs({ options: { mib: { type: 'string', default: '256' } } });
const BYTES = Number(args.mib) * 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Round-trip latencies of single-message sends until `done()`. */
async function latencies(producer: Producer, done: () => boolean): Promise<number[]> {
  const out: number[] = [];
  while (!done() && out.length < 1_000_000) {
    const t0 = process.hrtime.bigint();
    await producer.send({ topic: 'probe', messages: [{ value: 'x'.repeat(100) }], acks: 1 });
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-cleaner-lat-'));
  // The cleaner is off while filling, then switched on for the measurement by a restart.
  const settings = { 'log.cleaner.enable': 'false', durability: 'async' };
  let broker = new BrokerProcess({ dataDir, port: await freePort(), settings });
  try {
    await broker.start();
    let strata = new Strata({ brokers: [broker.url], clientId: 'cleaner-latency', logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'kv', numPartitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(32 * 1024 * 1024) } },
        { topic: 'probe', numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    let producer = strata.producer({ lingerMs: 5 });
    await producer.connect();
    const value = 'v'.repeat(200);
    let written = 0;
    for (let round = 0; written < BYTES; round++) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `key-${(round * 1000 + i) % 200_000}`, value }));
      await producer.send({ topic: 'kv', messages, acks: 1 });
      written += 1000 * 220;
    }
    await producer.disconnect();
    await broker.stop();

    // Restart with the cleaner on: it first looks for work 3 s after start-up and logs
    // "cleaned log" when done. Samples before that look are "idle", samples until the line
    // appears are "while cleaning".
    let cleaned = false;
    broker = new BrokerProcess({
      dataDir,
      port: await freePort(),
      settings: { ...settings, 'log.cleaner.enable': 'true', 'log.cleaner.backoff.ms': '3000' },
      onLine: (line) => {
        if (line.includes('"cleaned log"')) cleaned = true;
      },
    });
    await broker.start();
    const started = Date.now();
    strata = new Strata({ brokers: [broker.url], clientId: 'cleaner-latency', logger: silentLogger });
    producer = strata.producer({ lingerMs: 0 });
    await producer.connect();
    const idle = await latencies(producer, () => Date.now() - started > 2500);
    while (Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 10));
    const busy = await latencies(producer, () => cleaned);
    await producer.disconnect();
    const row = (name: string, l: number[]) => `${name.padEnd(22)} p50 ${fmt(percentile(l, 50), 3)} ms  p99 ${fmt(percentile(l, 99), 3)} ms  max ${fmt(l[l.length - 1]!, 1)} ms  (${l.length} sends)`;
    process.stdout.write(
      `compacted topic: ${fmt(written / 1024 / 1024)} MiB of 200,000 keys\n` +
        `${row('produce, cleaner idle', idle)}\n${row('produce, while cleaning', busy)}\n` +
        `p99 ratio (cleaning / idle): ${fmt(percentile(busy, 99) / percentile(idle, 99), 2)}\n`,
    );
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`cleaner latency bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
