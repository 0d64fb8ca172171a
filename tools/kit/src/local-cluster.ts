/**
 * A local Strata cluster of real processes: one etcd and N brokers (the built binary), on
 * loopback, each with its own data folder under `dataDir`. For cluster tests, the fault harness
 * and `npm run cluster`. Every process is started and stopped by this object, by PID.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerProcess, freePort } from './broker-process';
import { EtcdProcess } from './etcd-process';

export interface LocalClusterOptions {
  brokers: number;
  /** Parent folder: broker i keeps its data in `<dataDir>/broker-<i>`. */
  dataDir: string;
  /** Settings for every broker (etcd.endpoints and broker.id are set here). */
  settings?: Record<string, string>;
  /** Per-broker settings, by broker id. */
  brokerSettings?: (id: number) => Record<string, string>;
  /** Broker i listens on this host (default 127.0.0.1). */
  hostOf?: (id: number) => string;
  onLine?: (id: number, line: string) => void;
  inheritOutput?: boolean;
  /** Extra arguments for node in every broker process (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export class LocalCluster {
  readonly etcd = new EtcdProcess();
  readonly brokers = new Map<number, BrokerProcess>();

  constructor(private readonly options: LocalClusterOptions) {}

  /** Broker URLs (ws://...), broker id order. */
  get urls(): string[] {
    return [...this.brokers.values()].map((b) => b.url);
  }

  broker(id: number): BrokerProcess {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`no broker ${id}`);
    return b;
  }

  async start(): Promise<void> {
    await this.etcd.start();
    for (let id = 1; id <= this.options.brokers; id++) {
      const dataDir = join(this.options.dataDir, `broker-${id}`);
      mkdirSync(dataDir, { recursive: true });
      const onLine = this.options.onLine;
      const host = this.options.hostOf?.(id);
      const b = new BrokerProcess({
        dataDir,
        port: await freePort(),
        ...(host ? { host } : {}),
        settings: {
          'broker.id': String(id),
          'etcd.endpoints': this.etcd.endpoint,
          'offsets.topic.replication.factor': String(Math.min(3, this.options.brokers)),
          ...this.options.settings,
          ...this.options.brokerSettings?.(id),
        },
        ...(onLine ? { onLine: (line: string) => onLine(id, line) } : {}),
        ...(this.options.inheritOutput ? { inheritOutput: true } : {}),
        ...(this.options.nodeArgs ? { nodeArgs: this.options.nodeArgs } : {}),
      });
      this.brokers.set(id, b);
    }
    await Promise.all([...this.brokers.values()].map((b) => b.start()));
  }

  /** Stops every broker (SIGTERM, in parallel) and etcd. */
  async stop(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.stop().catch(() => null)));
    await this.etcd.stop();
  }

  /** Kills everything (SIGKILL) — for test clean-up after a failure. */
  async kill(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.kill().catch(() => undefined)));
    await this.etcd.kill();
  }
}
