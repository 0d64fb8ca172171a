/**
 * Broker memory under load: 1,000 partitions, 100 connected clients (50 producers, 50 consumers
 * each reading 20 partitions), steady produce and fetch traffic for a while; samples the broker
 * process's resident memory every second and prints the peak and the median.
 *
 *   npm run bench:memory -- --seconds 60 --partitions 1000 --clients 100
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';
import { fmt, median } from './stats';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    partitions: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '100' },
    'messages-per-second': { type: 'string', default: '20000' },
    'value-bytes': { type: 'string', default: '200' },
  },
});

const SECONDS = Number(args.seconds);
const PARTITIONS = Number(args.partitions);
const CLIENTS = Number(args.clients);
const RATE = Number(args['messages-per-second']);
const VALUE = new Uint8Array(Number(args['value-bytes'])).fill(97);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-mem-'));
  const broker = new BrokerProcess({ dataDir, port: await freePort(), settings: { 'log.segment.bytes': String(16 * 1024 * 1024) } });
  await broker.start();
  const clients: Strata[] = [];
  let stop = false;
  let produced = 0;
  let consumed = 0;
  try {
    const admin = new Strata({ brokers: [broker.url], clientId: 'mem-admin', logger: silentLogger }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mem', numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const producers = CLIENTS / 2;
    const consumers = CLIENTS - producers;
    const work: Array<Promise<void>> = [];
    for (let i = 0; i < producers; i++) {
      const strata = new Strata({ brokers: [broker.url], clientId: `mem-p${i}`, logger: silentLogger });
      clients.push(strata);
      const producer = strata.producer();
      await producer.connect();
      const perTick = Math.max(1, Math.round(RATE / producers / 10));
      work.push(
        (async () => {
          let n = i;
          while (!stop) {
            const messages = Array.from({ length: perTick }, () => ({ value: VALUE, partition: n++ % PARTITIONS }));
            await producer.send({ topic: 'mem', messages, acks: 1 });
            produced += messages.length;
            await new Promise((r) => setTimeout(r, 100));
          }
          await producer.disconnect();
        })(),
      );
    }
    for (let i = 0; i < consumers; i++) {
      const strata = new Strata({ brokers: [broker.url], clientId: `mem-c${i}`, logger: silentLogger });
      clients.push(strata);
      const consumer = strata.consumer({ maxWaitMs: 500 });
      await consumer.connect();
      const share = Math.ceil(PARTITIONS / consumers);
      const mine = Array.from({ length: share }, (_, k) => i * share + k).filter((p) => p < PARTITIONS);
      consumer.assign(mine.map((partition) => ({ topic: 'mem', partition, fromBeginning: true })));
      work.push(
        (async () => {
          for await (const batch of consumer.batches()) {
            consumed += batch.messages.length;
            if (stop) break;
          }
          await consumer.disconnect();
        })(),
      );
    }
    const samples: number[] = [];
    for (let s = 0; s < SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(broker.rssBytes());
      if ((s + 1) % 10 === 0) process.stderr.write(`${s + 1}s: rss ${fmt(samples[samples.length - 1]! / 1e6, 1)} MB, produced ${fmt(produced)}, consumed ${fmt(consumed)}\n`);
    }
    stop = true;
    await Promise.race([Promise.all(work), new Promise((r) => setTimeout(r, 5000))]);
    const mb = (b: number) => fmt(b / 1024 / 1024, 1);
    process.stdout.write(
      `${PARTITIONS} partitions, ${CLIENTS} clients (${producers} producers, ${consumers} consumers), ${SECONDS} s, ` +
        `${fmt(produced / SECONDS)} msgs/s produced, ${fmt(consumed / SECONDS)} msgs/s consumed\n` +
        `broker RSS: peak ${mb(Math.max(...samples))} MiB, median ${mb(median(samples))} MiB\n`,
    );
  } finally {
    stop = true;
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`memory bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
