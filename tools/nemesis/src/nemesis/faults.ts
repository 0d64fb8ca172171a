/**
 * The faults the nemesis injects, one function per kind. Each records an `invoke` (what it is about
 * to do, to whom) and an `ok` (what it did, how long) in the nemesis's history, and heals what it
 * broke before it returns (a restarted broker, a healed link, etcd back); `recover()` makes sure.
 *
 * Targets are biased toward the brokers whose failure matters most: the controller, leaders of the
 * workload's partitions, and group coordinators (leaders of __consumer_offsets partitions).
 *
 * Kinds:
 *   kill                 SIGKILL, down for 0.5–5 s, started again
 *   pause                SIGSTOP for 1–15 s (longer than the lease and the lag time: a zombie
 *                        leader wakes up believing it still leads), then SIGCONT
 *   partition-brokers    brokers split in two groups (one broker alone, or halves), 3–10 s
 *   partition-etcd       one broker cut from etcd (its lease lapses; it keeps talking to
 *                        brokers and clients), 3–10 s
 *   partition-node       one broker cut from everything: brokers, etcd, clients, 3–10 s
 *   partition-clients    some client processes cut from some brokers, 3–8 s
 *   etcd-kill            SIGKILL of etcd, down 1–5 s, started again on the same data
 *   controlled-shutdown  SIGTERM of a leader (leaderships move first), started again after 0.5–3 s
 *   rolling-restart      SIGTERM and start of every broker in turn, waiting for health between
 *   minority             every replica of one partition but its leader SIGKILLed: once the ISR
 *                        is the leader alone, an acks=all probe must fail with NOT_ENOUGH_REPLICAS
 * Cuts are 'drop' (stall, like iptables DROP) or 'reset' (like REJECT), at random.
 */
import type { ProxiedCluster } from '../cluster/proxied-cluster';
import type { HistoryWriter } from '../history';
import type { CutMode } from '../net/fault-proxy';
import type { ClientProcess } from '../workload/clients';
import type { Observer } from './observer';
import type { Random } from './random';

export const FAULT_KINDS = ['kill', 'pause', 'partition-brokers', 'partition-etcd', 'partition-node', 'partition-clients', 'etcd-kill', 'controlled-shutdown', 'rolling-restart', 'minority'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultTiming {
  /** Shortest and longest SIGSTOP pause (ms). */
  pauseMinMs: number;
  pauseMaxMs: number;
  /** Longest partition (ms). */
  partitionMaxMs: number;
  /** Longest time a killed broker or etcd stays down (ms). */
  downMaxMs: number;
}

export interface NemesisContext {
  cluster: ProxiedCluster;
  observer: Observer;
  history: HistoryWriter;
  rng: Random;
  topic: string;
  /** Source addresses of the workload's client processes. */
  clientSources: readonly string[];
  /** Producers that can run a probe. */
  producers: readonly ClientProcess[];
  timing: FaultTiming;
  /** How long to wait for the cluster to heal after a fault. */
  healthTimeoutMs: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A broker to hit: the controller, a leader of the workload, a group coordinator, or any. */
async function pickTarget(ctx: NemesisContext): Promise<{ broker: number; why: string }> {
  const { cluster, rng } = ctx;
  const running = cluster.brokerIds.filter((id) => cluster.broker(id).running);
  const v = await ctx.observer.placements();
  const r = rng.next();
  if (v) {
    if (r < 0.35 && running.includes(v.controller)) return { broker: v.controller, why: 'controller' };
    const led = (topic: (t: string) => boolean) => v.partitions.filter((p) => topic(p.topic) && running.includes(p.leader));
    const workload = led((t) => t === ctx.topic);
    if (r < 0.8 && workload.length > 0) {
      const p = rng.pick(workload);
      return { broker: p.leader, why: `leader of ${p.topic}-${p.partition}` };
    }
    const coordinators = led((t) => t === '__consumer_offsets');
    if (r < 0.9 && coordinators.length > 0) {
      const p = rng.pick(coordinators);
      return { broker: p.leader, why: `leader of ${p.topic}-${p.partition} (group coordinator)` };
    }
  }
  return { broker: rng.pick(running.length > 0 ? running : cluster.brokerIds), why: 'random' };
}

function cutMode(rng: Random): CutMode {
  return rng.next() < 0.6 ? 'drop' : 'reset';
}

async function startBroker(ctx: NemesisContext, id: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.cluster.broker(id).start();
      return;
    } catch (e) {
      ctx.log(`restarting broker ${id} failed (attempt ${attempt}): ${(e as Error).message.split('\n')[0]}`);
      if (attempt >= 5) throw e;
      await sleep(1000);
    }
  }
}

export const FAULTS: Record<FaultKind, (ctx: NemesisContext) => Promise<void>> = {
  async kill(ctx) {
    const target = await pickTarget(ctx);
    const downMs = ctx.rng.int(500, ctx.timing.downMaxMs);
    ctx.history.invoke('kill', { ...target, downMs });
    await ctx.cluster.broker(target.broker).kill();
    await sleep(downMs);
    await startBroker(ctx, target.broker);
    ctx.history.ok('kill', { ...target, downMs });
  },

  async pause(ctx) {
    const target = await pickTarget(ctx);
    const pauseMs = ctx.rng.int(ctx.timing.pauseMinMs, ctx.timing.pauseMaxMs);
    ctx.history.invoke('pause', { ...target, pauseMs });
    ctx.cluster.broker(target.broker).pause();
    await sleep(pauseMs);
    ctx.cluster.broker(target.broker).resume();
    ctx.history.ok('pause', { ...target, pauseMs });
  },

  async 'partition-brokers'(ctx) {
    const { cluster, rng } = ctx;
    const ids = cluster.brokerIds;
    let a: number[];
    let why: string;
    if (rng.next() < 0.6) {
      const target = await pickTarget(ctx);
      a = [target.broker];
      why = `isolate ${target.why}`;
    } else {
      a = rng.shuffle(ids).slice(0, rng.int(1, Math.floor(ids.length / 2)));
      why = 'halves';
    }
    const b = ids.filter((id) => !a.includes(id));
    const mode = cutMode(rng);
    const ms = rng.int(3000, ctx.timing.partitionMaxMs);
    ctx.history.invoke('partition-brokers', { a, b, mode, ms, why });
    cluster.cutBrokers(a, b, mode);
    await sleep(ms);
    cluster.healAll();
    ctx.history.ok('partition-brokers', { a, b, mode, ms, why });
  },

  async 'partition-etcd'(ctx) {
    const target = await pickTarget(ctx);
    const mode = cutMode(ctx.rng);
    const ms = ctx.rng.int(3000, ctx.timing.partitionMaxMs);
    ctx.history.invoke('partition-etcd', { ...target, mode, ms });
    ctx.cluster.cutEtcd(target.broker, mode);
    await sleep(ms);
    ctx.cluster.healAll();
    ctx.history.ok('partition-etcd', { ...target, mode, ms });
  },

  async 'partition-node'(ctx) {
    const { cluster } = ctx;
    const target = await pickTarget(ctx);
    const mode = cutMode(ctx.rng);
    const ms = ctx.rng.int(3000, ctx.timing.partitionMaxMs);
    ctx.history.invoke('partition-node', { ...target, mode, ms });
    cluster.cutBrokers(
      [target.broker],
      cluster.brokerIds.filter((id) => id !== target.broker),
      mode,
    );
    cluster.cutEtcd(target.broker, mode);
    cluster.cutClients([target.broker], ctx.clientSources, mode);
    await sleep(ms);
    cluster.healAll();
    ctx.history.ok('partition-node', { ...target, mode, ms });
  },

  async 'partition-clients'(ctx) {
    const { cluster, rng } = ctx;
    const target = await pickTarget(ctx);
    const brokers = rng.next() < 0.5 ? [target.broker] : rng.shuffle(cluster.brokerIds).slice(0, rng.int(1, cluster.brokerIds.length - 1));
    const clients = rng.next() < 0.5 ? [...ctx.clientSources] : rng.shuffle(ctx.clientSources).slice(0, rng.int(1, Math.max(1, ctx.clientSources.length - 1)));
    const mode = cutMode(rng);
    const ms = rng.int(3000, Math.min(8000, ctx.timing.partitionMaxMs));
    ctx.history.invoke('partition-clients', { brokers, clients, mode, ms, why: target.why });
    cluster.cutClients(brokers, clients, mode);
    await sleep(ms);
    cluster.healAll();
    ctx.history.ok('partition-clients', { brokers, clients, mode, ms });
  },

  async 'etcd-kill'(ctx) {
    const downMs = ctx.rng.int(1000, ctx.timing.downMaxMs);
    ctx.history.invoke('etcd-kill', { downMs });
    await ctx.cluster.etcd.kill();
    await sleep(downMs);
    await ctx.cluster.etcd.start();
    ctx.history.ok('etcd-kill', { downMs });
  },

  async 'controlled-shutdown'(ctx) {
    const target = await pickTarget(ctx);
    const downMs = ctx.rng.int(500, 3000);
    ctx.history.invoke('controlled-shutdown', { ...target, downMs });
    const code = await ctx.cluster.broker(target.broker).stop();
    await sleep(downMs);
    await startBroker(ctx, target.broker);
    ctx.history.ok('controlled-shutdown', { ...target, downMs, exitCode: code });
  },

  async 'rolling-restart'(ctx) {
    const order = ctx.rng.shuffle(ctx.cluster.brokerIds);
    ctx.history.invoke('rolling-restart', { order });
    const waited: Array<number | null> = [];
    for (const id of order) {
      await ctx.cluster.broker(id).stop();
      await startBroker(ctx, id);
      waited.push(await ctx.observer.waitHealthy(ctx.cluster.brokerIds, ctx.healthTimeoutMs));
    }
    ctx.history.ok('rolling-restart', { order, healthyAfterMs: waited.map((w) => (w === null ? null : Math.round(w))) });
  },

  async minority(ctx) {
    const { cluster, rng, observer } = ctx;
    const v = await observer.placements();
    const candidates = (v?.partitions ?? []).filter((p) => p.topic === ctx.topic && p.leader >= 0 && p.isr.length === p.replicas.length);
    if (candidates.length === 0 || ctx.producers.length === 0) {
      ctx.log('minority: no partition with a leader and a full ISR; skipped');
      return;
    }
    const p = rng.pick(candidates);
    const victims = p.replicas.filter((id) => id !== p.leader);
    ctx.history.invoke('minority', { partition: p.partition, leader: p.leader, killed: victims });
    for (const id of victims) await cluster.broker(id).kill();
    // The ISR shrinks once the leader sees its followers lag, or the controller sees their leases expire.
    const shrunk = await observer.waitFor((view) => view.partitions.some((q) => q.topic === ctx.topic && q.partition === p.partition && q.leader === p.leader && q.isr.length === 1), 30_000);
    let probe: { ok: boolean; ms: number; error?: string } | null = null;
    if (shrunk) probe = await rng.pick(ctx.producers).probe(p.partition, [p.leader]);
    else ctx.log(`minority: the ISR of ${ctx.topic}-${p.partition} did not shrink to its leader ${p.leader} within 30 s`);
    for (const id of victims) await startBroker(ctx, id);
    ctx.history.ok('minority', { partition: p.partition, leader: p.leader, killed: victims, shrunk, probe });
  },
};

/** After a fault: every link healed, every broker and etcd running, then wait for health. */
export async function recover(ctx: NemesisContext): Promise<number | null> {
  const { cluster } = ctx;
  cluster.healAll();
  if (!cluster.etcd.running) await cluster.etcd.start();
  for (const id of cluster.brokerIds) {
    const b = cluster.broker(id);
    b.resume();
    if (!b.running) await startBroker(ctx, id);
  }
  return ctx.observer.waitHealthy(cluster.brokerIds, ctx.healthTimeoutMs);
}
