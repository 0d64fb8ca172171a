/**
 * Helpers shared by the read-path, end-to-end and rebalance benchmarks: a fresh broker binary in its
 * own process (optionally profiled with --cpu-prof), a topic filled quickly with a tuned producer
 * (the fill is set-up, not what these benchmarks measure), and CPU clocks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strata, silentLogger } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';

/** CPU seconds (user + system) of this process. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export interface BenchBrokerOptions {
  /** Broker settings as flags (durability fsync unless told otherwise, as the suite runs it). */
  settings?: Record<string, string>;
  /** A folder for the broker's .cpuprofile (written when it stops), or null. */
  profileDir?: string | null;
}

/** A fresh broker binary with an empty data folder for the duration of `body`. */
export async function withBroker<T>(o: BenchBrokerOptions, body: (broker: BrokerProcess) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-'));
  const nodeArgs = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [];
  const broker = new BrokerProcess({ dataDir, port: await freePort(), settings: { durability: 'fsync', ...o.settings }, nodeArgs });
  await broker.start();
  try {
    return await body(broker);
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Creates `topic` and writes `records` values of `size` bytes round-robin over its partitions. */
export async function fillTopic(url: string, topic: string, partitions: number, records: number, size: number): Promise<void> {
  const strata = new Strata({ brokers: [url], clientId: 'bench-fill', logger: silentLogger });
  const admin = strata.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  if (records === 0) return;
  const producer = strata.producer({ acks: 1, lingerMs: 5, batchSize: 1024 * 1024 });
  await producer.connect();
  const value = new Uint8Array(size);
  for (let i = 0; i < size; i++) value[i] = 97 + (i % 26);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records) {
      const n = Math.min(2_000, records - next);
      const base = next;
      next += n;
      await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value, partition: (base + i) % partitions })) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await producer.disconnect();
}

/** Comma-separated list flag. */
export const list = (v: string | undefined): string[] => (v ?? '').split(',').filter((x) => x.length > 0);
