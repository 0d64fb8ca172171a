/**
 * Start-up time after a crash with a large log: fills a topic with `--gib` GiB through the
 * broker, SIGKILLs it, and times three restarts: after the crash (recovery scans only what was
 * written since the last checkpoint), after a clean shutdown, and after the crash again with the
 * recovery checkpoint deleted (the whole log is scanned — what the checkpoint saves).
 *
 *   npm run recovery -w @strata/bench -- --gib 5
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata, silentLogger } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';
import { fmt } from './stats';

const { values: args } = parseArgs({
  options: {
    gib: { type: 'string', default: '5' },
    partitions: { type: 'string', default: '4' },
    dir: { type: 'string' },
  },
});
const BYTES = Number(args.gib) * 1024 ** 3;
const PARTITIONS = Number(args.partitions);

async function timedStart(broker: BrokerProcess): Promise<number> {
  const t0 = process.hrtime.bigint();
  await broker.start();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const dataDir = args.dir ?? mkdtempSync(join(tmpdir(), 'strata-recovery-'));
  const broker = new BrokerProcess({ dataDir, port: await freePort(), settings: { durability: 'async' } });
  try {
    await broker.start();
    const strata = new Strata({ brokers: [broker.url], clientId: 'recovery-bench', logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const producer = strata.producer({ acks: 1 });
    await producer.connect();
    const value = new Uint8Array(1000).fill(42);
    const messages = Array.from({ length: 1000 }, (_, i) => ({ value, partition: i % PARTITIONS }));
    let written = 0;
    const t0 = Date.now();
    const worker = async () => {
      while (written < BYTES) {
        written += messages.length * value.length;
        await producer.send({ topic: 'big', messages, acks: 1 });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await producer.disconnect();
    const fillSeconds = (Date.now() - t0) / 1000;
    process.stderr.write(`wrote ${fmt(written / 1024 ** 3, 2)} GiB in ${fmt(fillSeconds, 1)} s\n`);

    await broker.kill();
    const afterCrash = await timedStart(broker);
    const recoveredAfterCrash = broker.lastOutput.split('\n').filter((l) => l.includes('"recovered log"')).length;
    await broker.stop();
    const afterClean = await timedStart(broker);
    await broker.kill();
    rmSync(join(dataDir, 'recovery-checkpoint.json'), { force: true });
    const fullScan = await timedStart(broker);
    await broker.stop();
    process.stdout.write(
      `log: ${fmt(written / 1024 ** 3, 2)} GiB in ${PARTITIONS} partitions\n` +
        `start-up after kill -9 (checkpointed): ${fmt(afterCrash)} ms (${recoveredAfterCrash} logs scanned their tail)\n` +
        `start-up after a clean shutdown: ${fmt(afterClean)} ms\n` +
        `start-up after kill -9 without a recovery checkpoint (full scan): ${fmt(fullScan)} ms\n`,
    );
  } finally {
    await broker.kill();
    if (!args.dir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`recovery bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
