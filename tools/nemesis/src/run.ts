/**
 * One run of the harness, Jepsen's three parts kept apart:
 *   1. set-up: etcd and N brokers behind fault proxies (ProxiedCluster), the workload's topic;
 *   2. workload (client processes recording the history) while the nemesis injects faults, one
 *      at a time, each healed and followed by a wait for the cluster to be healthy again;
 *   3. healing, the workload stopped, the final read, final.json; the brokers stopped (SIGTERM);
 *   4. the checker on the files: history.jsonl (all processes merged), final.json, data folders.
 * Everything lives in the run folder: history/ (one file per process), history.jsonl, logs/
 * (brokers and clients), data/ (the brokers' data folders), final.json, verdict.json.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { checkHistoryFile, type Verdict } from './checker/checker';
import { writeFinalState, type FinalState } from './checker/final-state';
import { ProxiedCluster } from './cluster/proxied-cluster';
import { HistoryWriter, mergeHistories } from './history';
import { FAULTS, FAULT_KINDS, recover, type FaultKind, type FaultTiming, type NemesisContext } from './nemesis/faults';
import { Observer } from './nemesis/observer';
import { Random } from './nemesis/random';
import { Workload } from './workload/workload';

export interface RunOptions {
  /** The run folder (created). */
  dir: string;
  brokers: number;
  seed: number;
  /** Stop injecting after this many faults... */
  faults?: number;
  /** ...or after this many milliseconds, whichever comes first. */
  durationMs?: number;
  /** The faults to inject, in this order (instead of drawing them at random with `weights`). */
  schedule?: readonly FaultKind[];
  /** Relative weights of the fault kinds (a kind missing or 0 is never injected). */
  weights?: Partial<Record<FaultKind, number>>;
  timing?: Partial<FaultTiming>;
  partitions?: number;
  producers?: number;
  assignConsumers?: number;
  groupConsumers?: number;
  /** Records per second per producer. */
  rate?: number;
  /** Broker settings on top of the harness's. */
  settings?: Record<string, string>;
  /** Quiet time between faults (ms): uniformly random in [min, max]. */
  gapMs?: [number, number];
  healthTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunResult {
  dir: string;
  historyPath: string;
  verdict: Verdict;
  seconds: number;
  /** Faults after which the cluster was not healthy within healthTimeoutMs. */
  unhealed: number;
  /** Client processes that crashed. */
  clientProblems: string[];
}

export const DEFAULT_WEIGHTS: Record<FaultKind, number> = {
  kill: 3,
  pause: 3,
  'partition-brokers': 2,
  'partition-etcd': 2,
  'partition-node': 1,
  'partition-clients': 1,
  'etcd-kill': 1,
  'controlled-shutdown': 1,
  'rolling-restart': 0.5,
  minority: 1,
};

export const TOPIC = 'queue';
export const GROUP = 'nemesis-group';

/** Broker settings of every run: replication factor 3, min.insync.replicas 2, lag time 3 s. */
export const CLUSTER_SETTINGS: Record<string, string> = {
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  'replica.lag.time.max.ms': '3000',
  'broker.session.timeout.ms': '3000',
  'leader.imbalance.check.interval.ms': '10000',
  'offsets.topic.replication.factor': '3',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runNemesis(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const { dir } = options;
  for (const sub of ['history', 'logs', 'data']) mkdirSync(join(dir, sub), { recursive: true });
  const partitions = options.partitions ?? 4;
  const brokerLogs = new Map<number, WriteStream>();
  const cluster = new ProxiedCluster({
    brokers: options.brokers,
    dataDir: join(dir, 'data'),
    settings: { ...CLUSTER_SETTINGS, ...options.settings },
    onLine: (id, line) => {
      let out = brokerLogs.get(id);
      if (!out) brokerLogs.set(id, (out = createWriteStream(join(dir, 'logs', `broker-${id}.log`), { flags: 'a' })));
      out.write(line + '\n');
    },
  });
  const history = new HistoryWriter(join(dir, 'history', 'nemesis.jsonl'), 'nemesis');
  const rng = new Random(options.seed);
  let workload: Workload | null = null;
  let observer: Observer | null = null;
  let unhealed = 0;
  try {
    await cluster.start();
    log(`cluster up: ${options.brokers} brokers at ${cluster.urls.join(' ')}`);
    const obs = new Observer(cluster.urls);
    observer = obs;
    await obs.connect();
    await obs.admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: partitions, replicationFactor: 3 }] });
    const ready = await obs.waitFor((v) => v.controller >= 0 && v.partitions.some((p) => p.topic === '__consumer_offsets') && v.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length), 60_000);
    if (!ready) throw new Error('the cluster did not become healthy (topic and __consumer_offsets in sync) within 60 s');
    workload = new Workload({
      urls: cluster.urls,
      dir,
      topic: TOPIC,
      partitions,
      groupId: GROUP,
      producers: options.producers ?? 2,
      assignConsumers: options.assignConsumers ?? 1,
      groupConsumers: options.groupConsumers ?? 2,
      rate: options.rate ?? 40,
      sessionTimeoutMs: 6000,
    });
    await workload.start();
    log(`workload started: ${workload.producers.length} producers, ${workload.consumers.length} consumers`);
    const ctx: NemesisContext = {
      cluster,
      observer: obs,
      history,
      rng,
      topic: TOPIC,
      clientSources: workload.sources,
      producers: workload.producers,
      timing: { pauseMinMs: 1000, pauseMaxMs: 15_000, partitionMaxMs: 10_000, downMaxMs: 5000, ...options.timing },
      healthTimeoutMs: options.healthTimeoutMs ?? 30_000,
      log,
    };
    const weights = { ...(options.weights ? Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) : DEFAULT_WEIGHTS), ...options.weights } as Record<FaultKind, number>;
    const [gapMin, gapMax] = options.gapMs ?? [1000, 3000];
    await sleep(rng.int(gapMin, gapMax));
    const deadline = options.durationMs !== undefined ? started + options.durationMs : Infinity;
    const limit = options.schedule ? Math.min(options.schedule.length, options.faults ?? Infinity) : options.faults;
    for (let i = 0; (limit === undefined || i < limit) && performance.now() < deadline; i++) {
      const kind = options.schedule ? options.schedule[i]! : rng.weighted(weights);
      const t0 = performance.now();
      try {
        await FAULTS[kind](ctx);
      } catch (e) {
        log(`fault ${kind} failed: ${(e as Error).stack ?? String(e)}`);
        history.info(kind, null, `the fault failed: ${(e as Error).message}`);
      }
      history.invoke('heal');
      const healthy = await recover(ctx);
      if (healthy === null) {
        unhealed++;
        history.info('heal', null, `not healthy within ${ctx.healthTimeoutMs} ms`);
      } else history.ok('heal', { ms: Math.round(healthy) });
      log(`fault ${i + 1}: ${kind} (${Math.round(performance.now() - t0)} ms)${healthy === null ? ' — NOT HEALTHY after it' : `, healthy ${Math.round(healthy)} ms after`}`);
      await sleep(rng.int(gapMin, gapMax));
    }
    // Heal, let the workload run on a healthy cluster for a moment, stop it, read everything.
    await recover(ctx);
    await sleep(2000);
    await workload.stop();
    log('workload stopped; final read');
    await recover(ctx);
    await workload.finalRead(60_000);
    const final = await finalState(cluster, obs, partitions, ctx.healthTimeoutMs);
    writeFinalState(join(dir, 'final.json'), final);
    await obs.disconnect();
  } catch (e) {
    await workload?.kill();
    await observer?.disconnect();
    await cluster.kill();
    history.close();
    for (const s of brokerLogs.values()) s.end();
    throw e;
  }
  await cluster.stop();
  history.close();
  await Promise.all([...brokerLogs.values()].map((s) => new Promise((resolve) => s.end(resolve))));
  const historyPath = join(dir, 'history.jsonl');
  mergeHistories(join(dir, 'history'), historyPath);
  const verdict = checkHistoryFile(historyPath);
  writeFileSync(join(dir, 'verdict.json'), JSON.stringify(verdict, null, 2) + '\n');
  return { dir, historyPath, verdict, seconds: (performance.now() - started) / 1000, unhealed, clientProblems: workload?.problems() ?? [] };
}

async function finalState(cluster: ProxiedCluster, observer: Observer, partitions: number, timeoutMs: number): Promise<FinalState> {
  const healed = (await observer.waitHealthy(cluster.brokerIds, timeoutMs)) !== null;
  const v = await observer.placements();
  const replicas: Record<string, number[]> = {};
  for (const p of v?.partitions ?? []) if (p.topic === TOPIC) replicas[String(p.partition)] = p.replicas;
  const highWatermarks: Record<string, number | null> = {};
  for (let p = 0; p < partitions; p++) highWatermarks[String(p)] = null;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      for (const o of await observer.admin.fetchTopicOffsets(TOPIC)) highWatermarks[String(o.partition)] = o.high;
      break;
    } catch {
      await sleep(500);
    }
  }
  return {
    topic: TOPIC,
    partitions,
    groupId: GROUP,
    brokers: [...cluster.brokerIds],
    replicas,
    highWatermarks,
    dataDirs: Object.fromEntries(cluster.brokerIds.map((id) => [String(id), join('data', `broker-${id}`)])),
    healed,
  };
}
