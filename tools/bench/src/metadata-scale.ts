/**
 * Metadata at scale (hardening issue, finding 7): how long the broker binary takes to create many
 * topics, to restart with them, and to stop gracefully.
 *
 *   npm run metadata-scale -w @strata/bench -- --topics 10000 [--partitions 1] [--per-request 100]
 *
 * Topics are created through the SDK's Admin with default options, `--per-request` topics per
 * CreateTopics request, one request at a time; then the broker is stopped (SIGTERM, timed until
 * it exits), started again (timed until it listens) and stopped again. Figures are wall-clock on
 * this machine; run it alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Strata } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { topics: { type: 'string', default: '10000' }, partitions: { type: 'string', default: '1' }, 'per-request': { type: 'string', default: '100' } },
    strict: true,
  });
  const topics = Number(values.topics);
  const partitions = Number(values.partitions);
  const perRequest = Number(values['per-request']);
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-metadata-'));
  const port = await freePort();
  let broker = new BrokerProcess({ dataDir, port, settings: {} });
  try {
    await broker.start();
    const strata = new Strata({ brokers: [broker.url], clientId: 'metadata-scale' });
    const admin = strata.admin();
    await admin.connect();
    const created = performance.now();
    for (let i = 0; i < topics; i += perRequest) {
      const batch = Array.from({ length: Math.min(perRequest, topics - i) }, (_, k) => ({ topic: `t-${String(i + k).padStart(6, '0')}`, numPartitions: partitions }));
      await admin.createTopics({ topics: batch, timeout: 600_000 });
      if ((i / perRequest) % 20 === 0) process.stdout.write(`\r  created ${i + batch.length} topics, ${((performance.now() - created) / 1000).toFixed(1)} s`);
    }
    const createMs = performance.now() - created;
    process.stdout.write('\n');
    await admin.disconnect();

    const stopStart = performance.now();
    await broker.stop();
    const stopMs = performance.now() - stopStart;

    broker = new BrokerProcess({ dataDir, port, settings: {} });
    const restartStart = performance.now();
    await broker.start();
    const restartMs = performance.now() - restartStart;
    const stop2Start = performance.now();
    await broker.stop();
    const stop2Ms = performance.now() - stop2Start;

    console.log(`topics: ${topics} x ${partitions} partition(s) = ${topics * partitions} partitions, ${perRequest} topics per CreateTopics request`);
    console.log(`create: ${(createMs / 1000).toFixed(2)} s (${((createMs * 1000) / topics).toFixed(0)} µs per topic)`);
    console.log(`graceful stop after creating: ${(stopMs / 1000).toFixed(2)} s`);
    console.log(`restart (to listening): ${(restartMs / 1000).toFixed(2)} s`);
    console.log(`graceful stop after restart: ${(stop2Ms / 1000).toFixed(2)} s`);
  } finally {
    await broker.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
