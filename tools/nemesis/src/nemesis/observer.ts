/**
 * Observer: the harness's own view of the cluster, through an admin client on 127.0.0.1 (a source
 * no cut ever names). The nemesis uses it to aim faults at leaders and the controller, and to wait
 * for the cluster to heal. Every call is bounded in time: a paused or cut broker makes a request
 * time out, never hang the harness.
 */
import { silentLogger, Strata, type Admin, type ClusterDescription } from '@strata/client';

export interface Placement {
  topic: string;
  partition: number;
  leader: number;
  isr: number[];
  replicas: number[];
}

export class Observer {
  private readonly strata: Strata;
  readonly admin: Admin;

  constructor(urls: string[]) {
    this.strata = new Strata({ brokers: urls, clientId: 'nemesis-observer', logger: silentLogger, requestTimeoutMs: 3000, connectionTimeoutMs: 3000, retry: { retries: 1, initialRetryTimeMs: 100 } });
    this.admin = this.strata.admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }

  /** The cluster as some broker sees it, or null when none answered in time. */
  async describe(): Promise<ClusterDescription | null> {
    try {
      return await this.admin.describeCluster();
    } catch {
      return null;
    }
  }

  /** Every partition of every topic (internal ones too) as some broker sees it. */
  async placements(): Promise<{ controller: number; brokers: number[]; partitions: Placement[] } | null> {
    const c = await this.describe();
    if (!c) return null;
    const partitions: Placement[] = [];
    for (const t of c.topics) for (const p of t.partitions) partitions.push({ topic: t.name, partition: p.partition, leader: p.leader, isr: [...p.isr], replicas: [...p.replicas] });
    return { controller: c.controller, brokers: c.brokers.map((b) => b.nodeId), partitions };
  }

  /**
   * Waits until every broker in `brokers` is registered, a controller is elected, and every
   * partition has a leader and all its replicas in sync. Resolves with the milliseconds it took,
   * or null when `timeoutMs` passed first.
   */
  async waitHealthy(brokers: readonly number[], timeoutMs: number, isHealthy: (p: Placement) => boolean = (p) => p.leader >= 0 && p.isr.length === p.replicas.length): Promise<number | null> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      const v = await this.placements();
      if (v && v.controller >= 0 && brokers.every((id) => v.brokers.includes(id)) && v.partitions.length > 0 && v.partitions.every(isHealthy)) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return null;
  }

  /** Waits until `check` holds for the placements (or `timeoutMs` passes); the last view seen. */
  async waitFor(check: (v: { controller: number; brokers: number[]; partitions: Placement[] }) => boolean, timeoutMs: number): Promise<boolean> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      const v = await this.placements();
      if (v && check(v)) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }
}
