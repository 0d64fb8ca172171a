/**
 * `npm run bench -- --suite` / `--peers redis,nats,rabbitmq` / `--all`: runs the comparison suite
 * (Strata acks=1, Strata durable, and the peers asked for), then the consumer suite (read-back,
 * eachMessage latency, rebalance), and writes docs/benchmarks.md and docs/benchmarks.svg.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ensurePeerPackages, PEER_PACKAGES } from './debian';
import { renderChart } from './chart';
import { NatsSystem } from './nats-system';
import { RabbitMqSystem } from './rabbitmq-system';
import { RedisSystem } from './redis-system';
import { machineInfo, renderReport, renderUsageTable } from './report';
import { StrataSystem } from './strata-system';
import { USAGE_PATTERNS, type UsagePattern } from './sdk-usage';
import { consumerSuite } from '../consumer-suite';
import { fmt } from '../stats';
import { runSuite, usageRow, type SuiteOptions, type UsageRow } from './suite';
import type { SystemUnderTest, Throughput } from './types';

export interface CompareArgs extends SuiteOptions {
  peers: string[];
  out: string;
  command: string;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function systemsFor(a: CompareArgs): SystemUnderTest[] {
  const unknown = a.peers.filter((p) => !(p in PEER_PACKAGES));
  if (unknown.length > 0) throw new Error(`unknown peer(s): ${unknown.join(', ')} (known: ${Object.keys(PEER_PACKAGES).join(', ')})`);
  ensurePeerPackages(a.peers, log);
  const systems: SystemUnderTest[] = [
    new StrataSystem({ acks: '1', lingerMs: 5, batchSize: 1_048_576, e2eWarmupSeconds: a.warmupMs / 1000, e2eSeconds: a.durationMs / 1000 }),
    new StrataSystem({ acks: 'all', lingerMs: 5, batchSize: 1_048_576, e2eWarmupSeconds: a.warmupMs / 1000, e2eSeconds: a.durationMs / 1000 }),
  ];
  if (a.peers.includes('redis')) systems.push(new RedisSystem());
  if (a.peers.includes('nats')) systems.push(new NatsSystem());
  if (a.peers.includes('rabbitmq')) systems.push(new RabbitMqSystem());
  return systems;
}

/**
 * `npm run bench -- --defaults [--peers redis]`: only the default-options rows (each SDK with its
 * defaults, called as a new user calls it), printed as a table; writes no page.
 */
export async function runDefaults(a: CompareArgs): Promise<void> {
  const systems = systemsFor(a).filter((s) => s.usage);
  const rows: UsageRow[] = [];
  const loadBefore = loadavg();
  for (const system of systems) {
    const perPattern = new Map<UsagePattern, Throughput[]>();
    for (let run = 0; run < a.runs; run++) {
      await system.start();
      try {
        for (const pattern of USAGE_PATTERNS) {
          const u = await system.usage!(pattern, { id: `usage-${pattern.replace(/\W+/g, '-')}-r${run}`, recordSize: a.sizes[0] ?? 100, records: a.usageRecords });
          (perPattern.get(pattern) ?? perPattern.set(pattern, []).get(pattern)!).push(u);
          log(`${system.usageName} run ${run + 1}/${a.runs} ${pattern}: ${fmt(u.records / u.seconds)} msgs/s`);
        }
      } finally {
        await system.stop();
      }
    }
    for (const [pattern, runs] of perPattern) rows.push(usageRow(system.usageName ?? system.name, pattern, runs));
  }
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(', ');
  process.stdout.write(`\n${renderUsageTable(rows, a.usageRecords, a.sizes[0] ?? 100, a.runs).join('\n')}\n\nLoad average (1, 5, 15 min) before: ${load(loadBefore)}; after: ${load(loadavg())}.\n`);
}

export async function runCompare(a: CompareArgs): Promise<void> {
  const systems = systemsFor(a);
  const versions = [];
  for (const s of systems) versions.push({ system: s.name, versions: await s.versions(), settings: s.settings() });
  const started = new Date();
  const loadBefore = loadavg();
  const result = await runSuite(systems, a, log);
  const loadAfter = loadavg();
  const chartPath = join(dirname(a.out), `${basename(a.out, '.md')}.svg`);
  writeFileSync(chartPath, renderChart(result.throughput, result.latency, `Strata and peers on ${machineInfo().nproc} cores, loopback (median of ${a.runs} runs)`, a.rate));
  writeFileSync(a.out, renderReport({ command: a.command, options: a, result, machine: machineInfo(), versions, loadBefore, loadAfter, started, chartFile: basename(chartPath) }));
  // The consumer side as a new user calls it: read-back with eachBatch, the eachMessage latency
  // probe and rebalance timings, with Redis Streams in the same run when it is a peer.
  const consumer = await consumerSuite({ runs: a.runs, peers: a.peers.filter((p) => p === 'redis') }, log);
  appendFileSync(a.out, `\n${consumer.markdown}`);
  log(`wrote ${a.out} and ${chartPath}`);
}
