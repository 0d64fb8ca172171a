/**
 * The cluster's failover figures on this machine (etcd and 3 or more broker processes, no
 * proxies in the way), measured after a long run or alone with `--measure-failover`:
 * 1. leader SIGKILL -> first successful acks=all produce to each of its partitions, over `kills`
 *    kills (the victim is the leader of partition k mod 3; it is started again and the cluster
 *    healed between kills). Two idempotent acks=all producers send one record at a time to every
 *    partition: one with the SDK's defaults (retry backoff 300 ms doubling), one with a short
 *    backoff (100 ms, at most 250 ms) that shows the cluster's own failover time rather than the
 *    client's backoff schedule. A kill's time is the slowest of its partitions.
 * 2. controlled shutdown (SIGTERM of a leader), `rounds` times: failed produce calls (must be 0)
 *    and the time until no partition names the stopping broker as leader.
 * 3. controller SIGKILL, `rounds` times: until another broker is named controller, and until it
 *    acts (a CreateTopics succeeds).
 * Times are measured from the signal, on the harness's monotonic clock.
 */
import { mkdirSync } from 'node:fs';
import { silentLogger, Strata, type Producer } from '@strata/client';
import { LocalCluster } from '@strata/tools-kit';
import { Observer } from './nemesis/observer';
import { CLUSTER_SETTINGS } from './run';

export interface FailoverOptions {
  dir: string;
  /** Broker processes (3 or more). */
  brokers?: number;
  kills: number;
  rounds: number;
  sessionTimeoutMs: number;
  log?: (line: string) => void;
}

export interface Distribution {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export interface FailoverFigures {
  brokers: number;
  sessionTimeoutMs: number;
  leaderKill: { defaultClient: Distribution; shortBackoffClient: Distribution; failedSends: number };
  controlledShutdown: { moveMs: Distribution; failedSends: number };
  controllerKill: { electedMs: Distribution; actingMs: Distribution };
}

const TOPIC = 'failover';
const PARTITIONS = 3;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { samples: sorted.length, p50: Math.round(at(0.5)), p99: Math.round(at(0.99)), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
}

/** One record at a time to each partition, forever; remembers when each send succeeded. */
class SteadyProducer {
  readonly okAt: number[][] = Array.from({ length: PARTITIONS }, () => []);
  failed = 0;
  private running = true;
  private loops: Array<Promise<void>> = [];

  constructor(readonly producer: Producer) {}

  start(): void {
    for (let p = 0; p < PARTITIONS; p++) {
      this.loops.push(
        (async () => {
          for (let i = 0; this.running; i++) {
            try {
              await this.producer.send({ topic: TOPIC, messages: [{ value: `m-${i}`, partition: p }] });
              this.okAt[p]!.push(performance.now());
            } catch {
              this.failed++;
            }
          }
        })(),
      );
    }
  }

  /** Milliseconds from `t0` to the first success after it on each partition of `ps` (the slowest), or null. */
  firstOkAfter(t0: number, ps: readonly number[]): number | null {
    let worst = 0;
    for (const p of ps) {
      const t = this.okAt[p]!.find((x) => x > t0);
      if (t === undefined) return null;
      worst = Math.max(worst, t - t0);
    }
    return worst;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

export async function measureFailover(options: FailoverOptions): Promise<FailoverFigures> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dir, { recursive: true });
  const brokers = options.brokers ?? 3;
  const ids = Array.from({ length: brokers }, (_, i) => i + 1);
  const cluster = new LocalCluster({ brokers, dataDir: options.dir, settings: { ...CLUSTER_SETTINGS, 'broker.session.timeout.ms': String(options.sessionTimeoutMs), 'leader.imbalance.check.interval.ms': '600000' } });
  await cluster.start();
  const observer = new Observer(cluster.urls);
  const client = new Strata({ brokers: cluster.urls, clientId: 'failover', logger: silentLogger });
  const defaultProducer = new SteadyProducer(client.producer());
  const shortProducer = new SteadyProducer(client.producer({ retry: { initialRetryTimeMs: 100, maxRetryTimeMs: 250 } }));
  const admin = new Strata({ brokers: cluster.urls, clientId: 'failover-admin', logger: silentLogger, requestTimeoutMs: 2000, retry: { retries: 0 } }).admin();
  try {
    await observer.connect();
    await admin.connect();
    await observer.admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }] });
    const healthy = async () => {
      if ((await observer.waitHealthy(ids, 60_000)) === null) throw new Error('the cluster did not heal within 60 s');
      await observer.admin.electLeaders().catch(() => undefined); // leaders back on their preferred replicas
      await observer.waitFor((v) => v.partitions.filter((p) => p.topic === TOPIC).every((p) => p.leader === p.replicas[0]), 10_000);
    };
    await healthy();
    for (const p of [defaultProducer, shortProducer]) {
      await p.producer.connect();
      p.start();
    }
    await sleep(1000);

    const leaderKill = { defaultClient: [] as number[], shortBackoffClient: [] as number[] };
    for (let k = 0; k < options.kills; k++) {
      const v = await observer.placements();
      const part = v?.partitions.find((p) => p.topic === TOPIC && p.partition === k % PARTITIONS);
      if (!part || part.leader < 0) throw new Error(`no leader for ${TOPIC}-${k % PARTITIONS}`);
      const victim = part.leader;
      const led = v!.partitions.filter((p) => p.topic === TOPIC && p.leader === victim).map((p) => p.partition);
      const t0 = performance.now();
      await cluster.broker(victim).kill();
      const deadline = t0 + 60_000;
      let a: number | null = null;
      let b: number | null = null;
      while ((a === null || b === null) && performance.now() < deadline) {
        a ??= defaultProducer.firstOkAfter(t0, led);
        b ??= shortProducer.firstOkAfter(t0, led);
        await sleep(20);
      }
      if (a === null || b === null) throw new Error(`no successful produce to ${led.join(',')} within 60 s of killing broker ${victim}`);
      leaderKill.defaultClient.push(a);
      leaderKill.shortBackoffClient.push(b);
      log(`kill ${k + 1}: broker ${victim} (leader of ${led.join(',')}): first acks=all produce after ${Math.round(a)} ms (SDK defaults), ${Math.round(b)} ms (short backoff)`);
      await cluster.broker(victim).start();
      await healthy();
    }

    const failedBefore = defaultProducer.failed + shortProducer.failed;
    const moves: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const v = await observer.placements();
      const victim = v!.partitions.find((p) => p.topic === TOPIC && p.partition === r % PARTITIONS)!.leader;
      const t0 = performance.now();
      const stopped = cluster.broker(victim).stop();
      const moved = await observer.waitFor((view) => view.partitions.every((p) => p.leader !== victim), 30_000);
      const ms = performance.now() - t0;
      await stopped;
      if (!moved) throw new Error(`controlled shutdown of broker ${victim}: leaderships did not move within 30 s`);
      moves.push(ms);
      log(`controlled shutdown ${r + 1}: broker ${victim}: leaderships moved after ${Math.round(ms)} ms`);
      await cluster.broker(victim).start();
      await healthy();
    }
    const shutdownFailures = defaultProducer.failed + shortProducer.failed - failedBefore;

    const elected: number[] = [];
    const acting: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const victim = (await observer.placements())!.controller;
      const t0 = performance.now();
      await cluster.broker(victim).kill();
      let electedAt: number | null = null;
      let actingAt: number | null = null;
      const watch = (async () => {
        while (electedAt === null && performance.now() - t0 < 30_000) {
          const c = await observer.describe();
          if (c && c.controller >= 0 && c.controller !== victim) electedAt = performance.now();
          else await sleep(25);
        }
      })();
      while (actingAt === null && performance.now() - t0 < 30_000) {
        try {
          await admin.createTopics({ topics: [{ topic: `probe-${r}`, numPartitions: 1, replicationFactor: 2 }] });
          actingAt = performance.now();
        } catch (e) {
          if ((e as { code?: string }).code === 'TOPIC_ALREADY_EXISTS') actingAt = performance.now();
          else await sleep(50);
        }
      }
      await watch;
      if (electedAt === null || actingAt === null) throw new Error(`no new controller acting within 30 s of killing controller ${victim}`);
      elected.push(electedAt - t0);
      acting.push(actingAt - t0);
      log(`controller kill ${r + 1}: broker ${victim}: new controller named after ${Math.round(electedAt - t0)} ms, acting after ${Math.round(actingAt - t0)} ms`);
      await cluster.broker(victim).start();
      await healthy();
    }
    return {
      brokers,
      sessionTimeoutMs: options.sessionTimeoutMs,
      leaderKill: { defaultClient: distribution(leaderKill.defaultClient), shortBackoffClient: distribution(leaderKill.shortBackoffClient), failedSends: failedBefore },
      controlledShutdown: { moveMs: distribution(moves), failedSends: shutdownFailures },
      controllerKill: { electedMs: distribution(elected), actingMs: distribution(acting) },
    };
  } finally {
    await Promise.all([defaultProducer.stop(), shortProducer.stop()]).catch(() => undefined);
    await defaultProducer.producer.disconnect().catch(() => undefined);
    await shortProducer.producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await observer.disconnect();
    await cluster.kill();
  }
}

export function formatFailover(f: FailoverFigures): string {
  const d = (x: Distribution) => `p50 ${x.p50} ms, p99 ${x.p99} ms, max ${x.max} ms over ${x.samples}`;
  return [
    `failover figures: ${f.brokers} brokers, broker.session.timeout.ms = ${f.sessionTimeoutMs}`,
    `leader SIGKILL -> first acks=all produce to its partitions:`,
    `  SDK defaults:          ${d(f.leaderKill.defaultClient)}`,
    `  short retry backoff:   ${d(f.leaderKill.shortBackoffClient)}`,
    `  failed send() calls:   ${f.leaderKill.failedSends}`,
    `controlled shutdown (SIGTERM of a leader) -> leaderships moved: ${d(f.controlledShutdown.moveMs)}; failed send() calls: ${f.controlledShutdown.failedSends}`,
    `controller SIGKILL -> new controller named: ${d(f.controllerKill.electedMs)}`,
    `controller SIGKILL -> new controller acting (CreateTopics succeeds): ${d(f.controllerKill.actingMs)}`,
  ].join('\n');
}
