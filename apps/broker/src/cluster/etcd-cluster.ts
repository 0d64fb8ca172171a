/**
 * EtcdCluster: this broker as a member of a replicated cluster (etcd.endpoints set).
 *
 * It owns the etcd client, this broker's session (lease), its copy of the cluster state, the
 * controller role (when it wins it), the replica fetchers, and the translation of cluster state
 * into local replicas:
 * - a topic whose replica list names this broker gets its local logs (TopicManager);
 * - a partition state naming this broker leader makes the Partition leader at that epoch; naming
 *   another broker makes it follow that broker (truncate, then fetch); no leader: it waits;
 * - a deleted topic loses its local logs.
 * State changes are applied one at a time, in etcd order.
 *
 * Fencing: the ReplicaManager refuses leader work while the session is not valid, and after a new
 * session is granted until this broker's copy of the state has caught up with the revision of the
 * new registration (a leadership it lost meanwhile must be seen before it serves as leader again).
 *
 * Start-up: session, state, local replicas (logs loaded, roles applied), then — once the server
 * listens — registration under brokers/<id> and the controller campaign. Stop: controlled shutdown
 * (leaderships moved away first), then everything in reverse.
 */
import { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { ERRORS, StrataError } from '@strata/protocol';
import type { BrokerConfig } from '../config/broker-config';
import { LeaderEpochCache } from '../replication/leader-epoch-cache';
import { Partition, type PartitionState } from '../replication/partition';
import type { ReplicaManager } from '../replication/replica-manager';
import { ReplicaFetchers } from '../replication/replica-fetcher';
import type { ReplicationSnapshot } from '../metrics';
import type { Log } from '../storage/log';
import type { TopicRecord } from '../topics/metadata-store';
import type { TopicManager } from '../topics/topic-manager';
import type { Clock } from '../util/clock';
import { repeat, type Cancel, type Scheduler } from '../util/scheduler';
import { BrokerClient } from './broker-client';
import { ClusterState, type ClusterChange, type PartitionStateEntry } from './cluster-state';
import type { ClusterBroker, ClusterView, ElectionOutcome, ElectionType, PartitionView, TopicCreation } from './cluster-view';
import { Controller } from './controller';
import { EtcdLayout, encode, type PartitionStateRecord } from './etcd-layout';
import { EtcdSession } from './etcd-session';

export interface EtcdClusterOptions {
  config: BrokerConfig;
  topics: TopicManager;
  replicas: ReplicaManager;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  /** This broker's URL, once it listens. */
  url: () => string;
  /** Inter-broker credentials when the cluster requires authentication. */
  credentials?: { mechanism: string; username: string; password: string } | null;
  /** Bind inter-broker connections to this local address (fault tests). */
  localAddress?: string;
  /** TLS material of inter-broker wss:// connections (read at each new connection). */
  tls?: () => { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Counts committed ISR changes of partitions this broker leads (metrics). */
  onIsrChange?: (kind: 'expand' | 'shrink') => void;
  /** Called after this broker's role in some partitions of `topic` may have changed. */
  onRolesChanged?: (topic: string) => void;
}

export class EtcdCluster implements ClusterView {
  readonly clustered = true;
  readonly client: Etcd3;
  readonly layout: EtcdLayout;
  readonly state: ClusterState;
  private readonly session: EtcdSession;
  readonly controller: Controller;
  private readonly fetchers: ReplicaFetchers;
  private readonly clients = new Map<string, BrokerClient>();
  private applying: Promise<void> = Promise.resolve();
  /** Revision this broker's state must reach before it acts as leader again (after a new session). */
  private catchUpRevision = Number.MAX_SAFE_INTEGER;
  private registered = false;
  private stopping = false;
  private cancelIsrCheck: Cancel = () => undefined;
  private readonly brokerId: number;

  constructor(private readonly options: EtcdClusterOptions) {
    const c = options.config.cluster;
    this.brokerId = options.config.brokerId;
    this.client = new Etcd3({ hosts: c.etcdEndpoints, dialTimeout: 3000 });
    this.layout = new EtcdLayout(c.etcdPrefix);
    this.state = new ClusterState(this.client, this.layout, options.logger);
    this.session = new EtcdSession({ client: this.client, ttlMs: c.sessionTimeoutMs, logger: options.logger, onExpired: () => this.onSessionExpired() });
    this.controller = new Controller({ client: this.client, layout: this.layout, state: this.state, session: this.session, config: options.config, scheduler: options.scheduler, logger: options.logger });
    this.fetchers = new ReplicaFetchers({
      brokerId: this.brokerId,
      logger: options.logger,
      clientFor: (id) => this.clientFor(id),
      maxWaitMs: c.replicaFetchWaitMaxMs,
      partitionMaxBytes: c.replicaFetchMaxBytes,
      requestTimeoutMs: 10_000,
      durable: options.config.durability === 'fsync',
    });
    options.replicas.setFence(() => this.fence());
  }

  /** Why this broker may not act as a leader now, or null. */
  private fence(): StrataError | null {
    if (this.stopping) return new StrataError(ERRORS.NOT_LEADER_OR_FOLLOWER, 'this broker is shutting down; its leaderships are moving');
    if (!this.session.valid()) return new StrataError(ERRORS.NOT_LEADER_OR_FOLLOWER, 'this broker lost its etcd session and is not acting as a leader until it has a new one');
    if (this.state.revisionSeen < this.catchUpRevision) return new StrataError(ERRORS.NOT_LEADER_OR_FOLLOWER, 'this broker is catching up with the cluster state');
    return null;
  }

  get clusterId(): string {
    return this.state.clusterId;
  }

  /** Session, state and local replicas; the server may listen after this. */
  async start(): Promise<void> {
    await this.session.start();
    this.state.on((change) => this.enqueue(() => this.onChange(change)));
    await this.state.start();
    await this.enqueue(() => this.applyAll());
    const lag = this.options.config.cluster.replicaLagTimeMaxMs;
    this.cancelIsrCheck = repeat(this.options.scheduler, Math.max(100, Math.floor(lag / 2)), () => {
      for (const t of this.options.topics.list()) for (const p of t.partitions) p?.maybeShrinkIsr();
    });
  }

  /** Registers this broker (it is reachable now) and runs for controller. */
  async register(): Promise<void> {
    await this.putRegistration();
    this.registered = true;
    await this.controller.campaign().catch((e: unknown) => this.options.logger.warn({ err: e }, 'controller campaign failed'));
  }

  private async putRegistration(): Promise<void> {
    const { client, layout } = this;
    const value = encode({ id: this.brokerId, url: this.options.url(), rack: this.options.config.cluster.rack });
    // The key may still hold a registration of this broker's previous life (it expires with its
    // lease): wait for it rather than take over another live broker's id.
    const deadline = Date.now() + this.options.config.cluster.sessionTimeoutMs + 5000;
    for (;;) {
      const res = await client.if(layout.broker(this.brokerId), 'Create', '==', 0).then(client.put(layout.broker(this.brokerId)).value(value).lease(this.session.id)).commit();
      if (res.succeeded) {
        this.catchUpRevision = Number(res.header.revision);
        return;
      }
      const existing = await client.get(layout.broker(this.brokerId)).exec();
      const lease = existing.kvs[0]?.lease;
      if (lease === this.session.id) {
        this.catchUpRevision = Number(existing.header.revision);
        return;
      }
      if (Date.now() > deadline) throw new Error(`broker.id ${this.brokerId} is registered by another live broker in etcd (${layout.broker(this.brokerId)}); give each broker its own broker.id`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private onSessionExpired(): void {
    this.controller.resign('etcd session expired');
    this.catchUpRevision = Number.MAX_SAFE_INTEGER;
    if (this.stopping) return;
    void (async () => {
      for (;;) {
        if (this.stopping) return;
        try {
          await this.session.start();
          if (this.registered) await this.putRegistration();
          this.options.logger.info('new etcd session; registered again');
          await this.controller.campaign();
          return;
        } catch (e) {
          this.options.logger.warn({ err: e }, 'cannot renew the etcd session; retrying');
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    })();
  }

  private enqueue(fn: () => Promise<void> | void): Promise<void> {
    const run = this.applying.then(fn);
    this.applying = run.catch((e: unknown) => this.options.logger.error({ err: e }, 'applying a cluster change failed'));
    return run;
  }

  private async onChange(change: ClusterChange): Promise<void> {
    switch (change.kind) {
      case 'topic':
        await this.applyTopic(change.topic);
        this.controller.trigger();
        return;
      case 'topic-deleted':
        for (let p = 0; p < 100_000; p++) {
          const part = this.options.topics.partition(change.name, p);
          if (!part && p >= (this.options.topics.get(change.name)?.record.partitions ?? 0)) break;
          if (part) this.fetchers.unfollow(part.name);
        }
        await this.options.topics.removeClusterTopic(change.name);
        return;
      case 'partition':
        await this.applyPartition(change.topic, change.partition, change.state);
        return;
      case 'broker-up':
        this.controller.brokerUp(change.broker.id);
        return;
      case 'broker-down':
        this.controller.trigger();
        return;
      case 'controller':
        this.controller.onControllerChange(change.controller);
        if (!change.controller && this.registered && !this.stopping) await this.controller.campaign();
        return;
      case 'reloaded':
        await this.applyAll();
        this.controller.trigger();
        return;
    }
  }

  private async applyAll(): Promise<void> {
    const live = new Set(this.state.topics().map((t) => t.name));
    for (const t of this.options.topics.list()) if (!live.has(t.record.name)) await this.options.topics.removeClusterTopic(t.record.name);
    for (const t of this.state.topics()) await this.applyTopic(t);
  }

  private async applyTopic(record: TopicRecord): Promise<void> {
    const local: number[] = [];
    record.assignment?.forEach((replicas, p) => {
      if (replicas.includes(this.brokerId)) local.push(p);
    });
    await this.options.topics.applyClusterTopic(record, local, (topic, index, log) => this.newPartition(topic, index, log));
    for (const p of local) {
      const state = this.state.partition(record.name, p);
      if (state) await this.applyPartition(record.name, p, state);
    }
  }

  private async newPartition(topic: string, index: number, log: Log): Promise<Partition> {
    const cache = new LeaderEpochCache(log.dir);
    await cache.load(log.logEndOffset);
    log.setReplicated(true);
    return new Partition(topic, index, log, this.brokerId, {
      clock: this.options.clock,
      logger: this.options.logger,
      epochCache: cache,
      writeIsr: (partition, isr, expected) => this.writeIsr(partition, isr, expected),
      replicaLagTimeMaxMs: this.options.config.cluster.replicaLagTimeMaxMs,
      ...(this.options.onIsrChange ? { onIsrChange: this.options.onIsrChange } : {}),
    });
  }

  private async applyPartition(topic: string, index: number, entry: PartitionStateEntry): Promise<void> {
    await this.applyPartitionState(topic, index, entry);
    this.options.onRolesChanged?.(topic);
  }

  private async applyPartitionState(topic: string, index: number, entry: PartitionStateEntry): Promise<void> {
    const partition = this.options.topics.partition(topic, index);
    const replicas = this.state.topic(topic)?.assignment?.[index];
    if (!partition || !replicas) return;
    const before = { leader: partition.leaderId, epoch: partition.leaderEpoch, version: partition.version };
    const state: PartitionState = { leaderId: entry.leader, leaderEpoch: entry.leaderEpoch, replicas, isr: entry.isr, version: entry.version };
    await partition.applyState(state);
    if (entry.leader === this.brokerId || entry.leader < 0) {
      this.fetchers.unfollow(partition.name);
      return;
    }
    if (before.version === 0 || before.leader !== entry.leader || before.epoch !== entry.leaderEpoch) this.fetchers.follow(partition, entry.leader, entry.leaderEpoch);
  }

  /** The leader's ISR change, conditional on the state's revision (a stale leader changes nothing). */
  private async writeIsr(partition: Partition, isr: number[], expected: number): Promise<number | null> {
    if (this.fence()) return null;
    const current = this.state.partition(partition.topic, partition.index);
    if (!current) return null;
    const value: PartitionStateRecord = { leader: this.brokerId, leaderEpoch: partition.leaderEpoch, isr, controllerEpoch: current.controllerEpoch };
    const key = this.layout.partitionState(partition.topic, partition.index);
    const res = await this.client.if(key, 'Mod', '==', expected).then(this.client.put(key).value(encode(value))).commit();
    return res.succeeded ? Number(res.header.revision) : null;
  }

  private clientFor(brokerId: number): BrokerClient | null {
    const broker = this.state.broker(brokerId);
    if (!broker) return null;
    let client = this.clients.get(broker.url);
    if (!client) {
      client = new BrokerClient({
        url: broker.url,
        brokerId: this.brokerId,
        credentials: this.options.credentials ?? null,
        logger: this.options.logger,
        ...(this.options.tls ? { tls: this.options.tls } : {}),
        ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
      });
      this.clients.set(broker.url, client);
    }
    return client;
  }

  /**
   * Controlled shutdown: asks the controller to move this broker's leaderships away and waits
   * until they have moved (or the timeout passes), so clients retry elsewhere and see no failure.
   */
  async moveLeadershipsAway(): Promise<void> {
    const { controlledShutdown, controlledShutdownTimeoutMs } = this.options.config.cluster;
    if (!controlledShutdown || !this.registered) return;
    const deadline = Date.now() + controlledShutdownTimeoutMs;
    const leads = () => this.options.topics.list().some((t) => t.partitions.some((p) => p?.isLeader && p.isr.some((id) => id !== this.brokerId)));
    const epoch = this.state.broker(this.brokerId)?.epoch ?? 0;
    while (Date.now() < deadline) {
      try {
        const c = this.state.controller;
        if (c && c.brokerId === this.brokerId && this.controller.active) await this.controller.controlledShutdown(this.brokerId, epoch);
        else if (c) {
          const client = this.clientFor(c.brokerId);
          if (client) {
            const res = await client.request('ControlledShutdown', { brokerId: this.brokerId, brokerEpoch: epoch }, 10_000);
            if (res.errorCode !== 0) throw new StrataError(ERRORS.NOT_CONTROLLER, res.errorMessage);
          }
        }
      } catch (e) {
        this.options.logger.debug({ err: e }, 'controlled shutdown request failed; retrying');
      }
      // Wait for the new states to arrive through the watch.
      for (let i = 0; i < 20 && leads(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!leads()) break;
    }
    this.stopping = true;
    // Stop replicating too: a leader would otherwise take this broker back into its ISR.
    this.fetchers.stop();
    this.options.logger.info({ stillLeading: leads() }, 'controlled shutdown done');
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.cancelIsrCheck();
    this.fetchers.stop();
    for (const c of this.clients.values()) c.close();
    await this.controller.close();
    await this.state.close();
    await this.applying;
    await this.session.close();
    this.client.close();
  }

  /** Leaderships, under-replicated partitions and follower lag of this broker, for the metrics. */
  replicationSnapshot(): ReplicationSnapshot {
    let leaders = 0;
    let underReplicated = 0;
    const followerLag: ReplicationSnapshot['followerLag'] = [];
    for (const t of this.options.topics.list()) {
      for (const p of t.partitions) {
        if (!p?.isLeader) continue;
        leaders++;
        if (p.isr.length < p.replicas.length) underReplicated++;
        for (const l of p.followerLag()) followerLag.push({ topic: p.topic, partition: p.index, replica: l.replica, offsets: l.offsets, secondsSinceCaughtUp: l.msSinceCaughtUp / 1000 });
      }
    }
    return { leaders, underReplicated, controllerActive: this.controller.active, followerLag };
  }

  // ---- ClusterView ----

  brokers(): ClusterBroker[] {
    return this.state.brokers().map((b) => ({ nodeId: b.id, url: b.url, rack: b.rack, epoch: b.epoch }));
  }

  controllerId(): number {
    return this.state.controller?.brokerId ?? -1;
  }

  controllerEpoch(): number {
    return this.state.controller?.epoch ?? -1;
  }

  topicNames(): string[] {
    return this.state.topics().map((t) => t.name);
  }

  topic(name: string): TopicRecord | undefined {
    return this.state.topic(name);
  }

  partition(topic: string, index: number): PartitionView | undefined {
    const s = this.state.partition(topic, index);
    const replicas = this.state.topic(topic)?.assignment?.[index];
    if (!s || !replicas) return undefined;
    return { leaderId: s.leader, leaderEpoch: s.leaderEpoch, replicas, isr: s.isr };
  }

  createTopics(requests: readonly TopicCreation[], validateOnly: boolean): Promise<Array<StrataError | null>> {
    return this.controller.createTopics(requests, validateOnly);
  }

  deleteTopic(name: string): Promise<void> {
    return this.controller.deleteTopic(name);
  }

  alterTopicConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly: boolean): Promise<void> {
    return this.controller.alterConfigs(name, set, remove, validateOnly);
  }

  electLeaders(type: ElectionType, partitions: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionOutcome[]> {
    return this.controller.electLeaders(type, partitions);
  }

  controlledShutdown(brokerId: number, brokerEpoch: number): Promise<number> {
    return this.controller.controlledShutdown(brokerId, brokerEpoch);
  }
}
