/**
 * Strata under the comparison suite: the built broker binary (BenchBroker) and the built `strata`
 * command's perf tools (`strata perf produce|consume|e2e --json`) as the client, in their own
 * processes, so that every figure can be reproduced with the CLI alone. The broker runs with
 * durability=fsync: acks=1 rows are acknowledged once written to the OS, durable rows (acks=all)
 * once fsynced.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strata, silentLogger } from '@strata/client';
import { BenchBroker } from '../broker-process';
import { sampleValues } from '../producer-matrix';
import { driveUsage, type UsagePattern } from './sdk-usage';
import type { Latency, LatencyWorkload, SystemUnderTest, Throughput, ThroughputWorkload, UsageWorkload } from './types';

export const CLI = join(__dirname, '..', '..', '..', '..', 'apps', 'cli', 'dist', 'main.js');

interface PerfSummary {
  records: number;
  seconds: number;
  clientCpuSeconds: number;
  latencyMs: { count: number; p50: number; p99: number; p999: number; max: number };
  extra?: Record<string, number>;
}

/** Runs `strata <args> --json` and parses its summary. */
function perf(url: string, args: string[]): Promise<PerfSummary> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, '--brokers', url, ...args, '--progress-interval', '0', '--json'], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`strata ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as PerfSummary); // the CLI's own --json summary
    });
  });
}

export interface StrataSystemOptions {
  /** acks for produce and e2e: 1 or 'all' (durable). */
  acks: '1' | 'all';
  lingerMs: number;
  batchSize: number;
  /** The suite's end-to-end warm-up and measured seconds (for the settings line). */
  e2eWarmupSeconds: number;
  e2eSeconds: number;
}

export class StrataSystem implements SystemUnderTest {
  readonly name: string;
  readonly usageName: string;
  private broker: BenchBroker | null = null;
  private dataDir = '';
  /** Framing figures of the last produce and read-back (bytes per record beyond the value). */
  lastProduceExtra: Record<string, number> = {};
  lastReadExtra: Record<string, number> = {};

  constructor(private readonly o: StrataSystemOptions) {
    this.name = o.acks === 'all' ? 'Strata (durable: acks=all, fsync)' : 'Strata (acks=1)';
    this.usageName = o.acks === 'all' ? 'Strata, default options (acks=all, fsync)' : 'Strata, default options + acks: 1';
  }

  async versions(): Promise<string> {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'apps', 'broker', 'package.json'), 'utf8')) as { version: string };
    return `strata-broker ${pkg.version} (this repository), @strata/client ${pkg.version}`;
  }

  settings(): string[] {
    return [
      'broker: `strata-broker --durability fsync` (defaults otherwise: log.write.inline.max.bytes 65536, log.tail.cache.bytes 32 MiB), fresh data folder in $TMPDIR',
      `produce: \`strata perf produce <topic> --records N --record-size S --partitions P --acks ${this.o.acks} --linger ${this.o.lingerMs} --batch-size ${this.o.batchSize} --in-flight 64 --messages-per-send 2000\` (idempotent producer, sticky partitioner, no compression)`,
      `default options: this process, \`new Strata({ brokers }).producer(${this.o.acks === 'all' ? '' : '{ acks: 1 }'})\` (every other option at its default), \`producer.send({ topic, messages })\` on a one-partition topic`,
      'read back: `strata perf consume <topic> --group <new group> --mode batches` (group consumer, auto-commit; the clock stops once what was read is committed)',
      `end-to-end: \`strata perf e2e <topic> --rate R --warmup ${this.o.e2eWarmupSeconds} --duration ${this.o.e2eSeconds} --acks ${this.o.acks} --linger 0 --max-wait 500\` (producer and consumer in one process)`,
    ];
  }

  async start(): Promise<void> {
    this.dataDir = mkdtempSync(join(tmpdir(), 'strata-compare-'));
    this.broker = new BenchBroker(this.dataDir, { durability: 'fsync' });
    await this.broker.start();
  }

  async stop(): Promise<void> {
    await this.broker?.stop();
    this.broker = null;
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private get url(): string {
    if (!this.broker) throw new Error('broker not started');
    return this.broker.url;
  }

  private async timed(args: string[]): Promise<{ summary: PerfSummary; serverCpu: number }> {
    const b0 = this.broker!.cpuSeconds();
    const summary = await perf(this.url, args);
    return { summary, serverCpu: this.broker!.cpuSeconds() - b0 };
  }

  async produce(w: ThroughputWorkload): Promise<Throughput> {
    const { summary, serverCpu } = await this.timed([
      'perf', 'produce', w.id,
      '--records', String(w.records), '--record-size', String(w.recordSize), '--partitions', String(w.partitions),
      '--acks', this.o.acks, '--linger', String(this.o.lingerMs), '--batch-size', String(this.o.batchSize),
      '--in-flight', '64', '--messages-per-send', '2000',
    ]);
    this.lastProduceExtra = summary.extra ?? {};
    return { records: summary.records, seconds: summary.seconds, clientCpuSeconds: summary.clientCpuSeconds, serverCpuSeconds: serverCpu };
  }

  async readBack(w: ThroughputWorkload): Promise<Throughput> {
    const { summary, serverCpu } = await this.timed(['perf', 'consume', w.id, '--group', `${w.id}-readers`, '--mode', 'batches']);
    if (summary.records < w.records) throw new Error(`read back ${summary.records} of ${w.records} records`);
    this.lastReadExtra = summary.extra ?? {};
    return { records: summary.records, seconds: summary.seconds, clientCpuSeconds: summary.clientCpuSeconds, serverCpuSeconds: serverCpu };
  }

  async endToEnd(w: LatencyWorkload): Promise<Latency> {
    const { summary } = await this.timed([
      'perf', 'e2e', w.id,
      '--rate', String(w.rate), '--warmup', String(w.warmupMs / 1000), '--duration', String(w.durationMs / 1000),
      '--record-size', String(w.recordSize), '--acks', this.o.acks, '--linger', '0', '--max-wait', '500',
    ]);
    const l = summary.latencyMs;
    return { count: l.count, p50: l.p50, p99: l.p99, p999: l.p999, max: l.max, lost: summary.extra?.['lost'] ?? 0 };
  }

  async usage(pattern: UsagePattern, w: UsageWorkload): Promise<Throughput> {
    const strata = new Strata({ brokers: [this.url], clientId: 'bench-defaults', logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: w.id, numPartitions: 1 }] });
    await admin.disconnect();
    // Exactly what a new user writes: no option but acks for the acks=1 row.
    const producer = this.o.acks === 'all' ? strata.producer() : strata.producer({ acks: 1 });
    await producer.connect();
    try {
      const topic = w.id;
      const b0 = this.broker!.cpuSeconds();
      const r = await driveUsage(pattern, w.records, sampleValues(w.recordSize), (values) => producer.send({ topic, messages: values.map((value) => ({ value })) }));
      return { records: r.records, seconds: r.seconds, clientCpuSeconds: r.clientCpuSeconds, serverCpuSeconds: this.broker!.cpuSeconds() - b0 };
    } finally {
      await producer.disconnect();
    }
  }
}
