/**
 * ProxiedCluster: etcd and N broker processes (tools/kit's LocalCluster) wired through
 * fault-injecting proxies, so the nemesis can cut any link:
 *
 *   client c (from 127.0.0.(100+c)) ─┐
 *   broker j (from 127.0.0.(10+j))  ─┼─> brokerProxy(i) ──> broker i          (advertised.url = the proxy)
 *   harness (from 127.0.0.1)        ─┘
 *   broker i ──> etcdProxy(i) ──> etcd                                        (etcd.endpoints = its proxy)
 *
 * Every broker registers its proxy's URL (`advertised.url`), so clients and other brokers only
 * ever reach it through the proxy; each broker opens its inter-broker connections from its own
 * source address (`inter.broker.local.address`) and reaches etcd through a proxy of its own. All
 * of 127.0.0.0/8 is loopback on Linux, so no set-up is needed. The harness's control connections
 * come from 127.0.0.1, which no cut names.
 *
 * Event loop only. Owns every process and proxy it starts; close() ends them (by PID).
 */
import { join } from 'node:path';
import { LocalCluster, type BrokerProcess, type EtcdProcess } from '@strata/tools-kit';
import { ALL, FaultProxy, type CutMode } from '../net/fault-proxy';

/** Source address of broker `id`'s connections to other brokers. */
export function brokerSource(id: number): string {
  if (id < 1 || id > 80) throw new Error(`broker ids 1..80 have a source address, not ${id}`);
  return `127.0.0.${10 + id}`;
}

/** Source address of client process number `n` (0..150). */
export function clientSource(n: number): string {
  if (n < 0 || n > 150) throw new Error(`client numbers 0..150 have a source address, not ${n}`);
  return `127.0.0.${100 + n}`;
}

export interface ProxiedClusterOptions {
  brokers: number;
  /** Parent folder of the brokers' data folders (broker-<id>). */
  dataDir: string;
  /** Settings of every broker (etcd.endpoints, advertised.url, broker.id, inter.broker.local.address are set here). */
  settings: Record<string, string>;
  /** Every line a broker logs (JSON), for the run's broker logs. */
  onLine?: (id: number, line: string) => void;
}

export class ProxiedCluster {
  readonly local: LocalCluster;
  private readonly brokerProxies = new Map<number, FaultProxy>();
  private readonly etcdProxies = new Map<number, FaultProxy>();
  private readonly ids: number[];

  constructor(private readonly options: ProxiedClusterOptions) {
    this.ids = Array.from({ length: options.brokers }, (_, i) => i + 1);
    for (const id of this.ids) {
      this.brokerProxies.set(id, new FaultProxy({ name: `broker-${id}`, target: () => this.brokerTarget(id) }));
      this.etcdProxies.set(id, new FaultProxy({ name: `etcd-for-${id}`, target: () => (this.local.etcd.clientPort ? { host: '127.0.0.1', port: this.local.etcd.clientPort } : null) }));
    }
    this.local = new LocalCluster({
      brokers: options.brokers,
      dataDir: options.dataDir,
      settings: options.settings,
      brokerSettings: (id) => ({
        'advertised.url': this.urlOf(id),
        'inter.broker.local.address': brokerSource(id),
        'etcd.endpoints': `http://127.0.0.1:${this.etcdProxies.get(id)!.port}`,
      }),
      ...(options.onLine ? { onLine: options.onLine } : {}),
    });
  }

  get brokerIds(): readonly number[] {
    return this.ids;
  }

  /** The brokers' proxy URLs: what clients bootstrap from. */
  get urls(): string[] {
    return this.ids.map((id) => this.urlOf(id));
  }

  get etcd(): EtcdProcess {
    return this.local.etcd;
  }

  broker(id: number): BrokerProcess {
    return this.local.broker(id);
  }

  dataDirOf(id: number): string {
    return join(this.options.dataDir, `broker-${id}`);
  }

  urlOf(id: number): string {
    return `ws://127.0.0.1:${this.brokerProxies.get(id)!.port}`;
  }

  private brokerTarget(id: number): { host: string; port: number } | null {
    const b = this.local.brokers.get(id);
    if (!b) return null;
    return { host: '127.0.0.1', port: Number(new URL(b.url).port) };
  }

  async start(): Promise<void> {
    for (const p of [...this.brokerProxies.values(), ...this.etcdProxies.values()]) await p.start();
    await this.local.start();
  }

  // ---- links ----

  /** Cuts every link between a broker of `a` and a broker of `b`, both directions. */
  cutBrokers(a: readonly number[], b: readonly number[], mode: CutMode): void {
    for (const x of a) this.brokerProxies.get(x)!.cut(b.map(brokerSource), mode);
    for (const y of b) this.brokerProxies.get(y)!.cut(a.map(brokerSource), mode);
  }

  /** Cuts the client processes with `sources` from the brokers `ids`. */
  cutClients(ids: readonly number[], sources: readonly string[], mode: CutMode): void {
    for (const id of ids) this.brokerProxies.get(id)!.cut(sources, mode);
  }

  /** Cuts broker `id` from etcd (its lease can no longer be renewed). */
  cutEtcd(id: number, mode: CutMode): void {
    this.etcdProxies.get(id)!.cut([ALL], mode);
  }

  /** Heals every cut. */
  healAll(): void {
    for (const p of [...this.brokerProxies.values(), ...this.etcdProxies.values()]) p.heal();
  }

  /** What is cut now, for the history: proxy name -> sources. */
  cuts(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of [...this.brokerProxies.values(), ...this.etcdProxies.values()]) {
      const s = p.cutSources();
      if (s.length > 0) out[p.name] = s;
    }
    return out;
  }

  /** SIGKILL of everything, proxies closed (clean-up, also after a failure). */
  async kill(): Promise<void> {
    await this.local.kill();
    for (const p of [...this.brokerProxies.values(), ...this.etcdProxies.values()]) await p.close();
  }

  /** SIGTERM of every broker (the data folders end in a clean state), then etcd; proxies closed. */
  async stop(): Promise<void> {
    await this.local.stop();
    for (const p of [...this.brokerProxies.values(), ...this.etcdProxies.values()]) await p.close();
  }
}
