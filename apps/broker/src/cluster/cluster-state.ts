/**
 * ClusterState: this broker's copy of the cluster metadata in etcd — live brokers, the controller,
 * topics and partition states — kept current by one watch on the whole prefix, started from the
 * revision of an initial read, so no change is missed between the two. Every broker keeps one; it
 * answers Metadata and drives this broker's replicas (EtcdCluster listens to its changes).
 *
 * If the watch cannot resume (its revision was compacted away), the state is read again whole and
 * listeners get every entry as changed. Values that do not decode are logged once and ignored.
 *
 * Event loop only.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { decode, type BrokerRegistration, type ControllerRecord, type EtcdLayout, type PartitionStateRecord, type TopicRecord } from './etcd-layout';

export interface LiveBroker extends BrokerRegistration {
  /** Create revision of the registration: the broker epoch. */
  epoch: number;
}

export interface PartitionStateEntry extends PartitionStateRecord {
  /** Mod revision of the state key: the partition epoch. */
  version: number;
}

export type ClusterChange =
  | { kind: 'broker-up'; broker: LiveBroker }
  | { kind: 'broker-down'; id: number }
  | { kind: 'controller'; controller: { brokerId: number; epoch: number } | null }
  | { kind: 'topic'; topic: TopicRecord }
  | { kind: 'topic-deleted'; name: string }
  | { kind: 'partition'; topic: string; partition: number; state: PartitionStateEntry }
  | { kind: 'reloaded' };

export class ClusterState {
  private readonly brokerMap = new Map<number, LiveBroker>();
  private controllerEntry: { brokerId: number; epoch: number } | null = null;
  private readonly topicMap = new Map<string, TopicRecord>();
  private readonly partitionMap = new Map<string, PartitionStateEntry>();
  private watcher: Watcher | null = null;
  private listeners = new Set<(change: ClusterChange) => void>();
  private revision = 0;
  private closed = false;
  clusterId = '';

  constructor(
    private readonly client: Etcd3,
    private readonly layout: EtcdLayout,
    private readonly logger: Logger,
  ) {}

  on(listener: (change: ClusterChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  brokers(): LiveBroker[] {
    return [...this.brokerMap.values()].sort((a, b) => a.id - b.id);
  }

  broker(id: number): LiveBroker | undefined {
    return this.brokerMap.get(id);
  }

  isAlive(id: number): boolean {
    return this.brokerMap.has(id);
  }

  get controller(): { brokerId: number; epoch: number } | null {
    return this.controllerEntry;
  }

  topics(): TopicRecord[] {
    return [...this.topicMap.values()];
  }

  topic(name: string): TopicRecord | undefined {
    return this.topicMap.get(name);
  }

  partition(topic: string, partition: number): PartitionStateEntry | undefined {
    return this.partitionMap.get(`${topic}/${partition}`);
  }

  /** The latest etcd revision this state reflects. */
  get revisionSeen(): number {
    return this.revision;
  }

  /** Reads everything, then watches from the next revision. */
  async start(): Promise<void> {
    await this.readAll();
    await this.watchFrom(this.revision + 1);
  }

  private async readAll(): Promise<void> {
    const res = await this.client.getAll().prefix(this.layout.root).exec();
    this.brokerMap.clear();
    this.topicMap.clear();
    this.partitionMap.clear();
    this.controllerEntry = null;
    for (const kv of res.kvs) this.apply(kv, false);
    this.revision = Number(res.header.revision);
    const id = await this.client.get(this.layout.clusterId).string();
    if (id) this.clusterId = id;
  }

  private async watchFrom(revision: number): Promise<void> {
    const watcher = await this.client.watch().prefix(this.layout.root).startRevision(String(revision)).create();
    this.watcher = watcher;
    watcher.on('put', (kv) => this.onEvent(kv, false));
    watcher.on('delete', (kv) => this.onEvent(kv, true));
    watcher.on('error', (err) => {
      if (this.closed) return;
      this.logger.warn({ err }, 'etcd watch failed; reading the cluster state again');
      void this.restart();
    });
  }

  private async restart(): Promise<void> {
    // etcd3 emits 'error' only for a watch the server cancelled (e.g. its revision was compacted):
    // it is gone already, and cancel() would wait forever for an answer that never comes.
    this.watcher?.removeAllListeners();
    this.watcher = null;
    for (;;) {
      if (this.closed) return;
      try {
        await this.readAll();
        await this.watchFrom(this.revision + 1);
        this.emit({ kind: 'reloaded' });
        return;
      } catch (e) {
        this.logger.warn({ err: e }, 'cannot read the cluster state from etcd; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500).unref());
      }
    }
  }

  private onEvent(kv: IKeyValue, deleted: boolean): void {
    const revision = Number(kv.mod_revision);
    if (revision > this.revision) this.revision = revision;
    this.apply(kv, deleted, true);
  }

  private apply(kv: IKeyValue, deleted: boolean, notify = false): void {
    const key = kv.key.toString('utf8');
    const what = this.layout.parse(key);
    switch (what.kind) {
      case 'broker': {
        if (deleted) {
          if (this.brokerMap.delete(what.id) && notify) this.emit({ kind: 'broker-down', id: what.id });
          return;
        }
        const reg = this.decodeValue<BrokerRegistration>(kv, key);
        if (!reg) return;
        const broker: LiveBroker = { ...reg, id: what.id, epoch: Number(kv.create_revision) };
        this.brokerMap.set(what.id, broker);
        if (notify) this.emit({ kind: 'broker-up', broker });
        return;
      }
      case 'controller': {
        if (deleted) this.controllerEntry = null;
        else {
          const rec = this.decodeValue<ControllerRecord>(kv, key);
          if (!rec) return;
          this.controllerEntry = { brokerId: rec.brokerId, epoch: Number(kv.create_revision) };
        }
        if (notify) this.emit({ kind: 'controller', controller: this.controllerEntry });
        return;
      }
      case 'topic': {
        if (deleted) {
          this.topicMap.delete(what.name);
          for (const k of [...this.partitionMap.keys()]) if (k.startsWith(`${what.name}/`)) this.partitionMap.delete(k);
          if (notify) this.emit({ kind: 'topic-deleted', name: what.name });
          return;
        }
        const rec = this.decodeValue<TopicRecord>(kv, key);
        if (!rec) return;
        this.topicMap.set(what.name, rec);
        if (notify) this.emit({ kind: 'topic', topic: rec });
        return;
      }
      case 'partition': {
        const k = `${what.topic}/${what.partition}`;
        if (deleted) {
          this.partitionMap.delete(k);
          return;
        }
        const rec = this.decodeValue<PartitionStateRecord>(kv, key);
        if (!rec) return;
        const state: PartitionStateEntry = { ...rec, version: Number(kv.mod_revision) };
        this.partitionMap.set(k, state);
        if (notify) this.emit({ kind: 'partition', topic: what.topic, partition: what.partition, state });
        return;
      }
      default:
    }
  }

  private decodeValue<T>(kv: IKeyValue, key: string): T | null {
    const value = decode<T>(kv.value);
    if (value === null) this.logger.error({ key }, 'undecodable value in etcd; ignored');
    return value;
  }

  private emit(change: ClusterChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (e) {
        this.logger.error({ err: e, change: change.kind }, 'a cluster-state listener failed');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.watcher?.cancel().catch(() => undefined);
  }
}
