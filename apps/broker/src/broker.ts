/**
 * Broker: wires configuration, storage, topics, handlers and the server together, and owns
 * start-up and shutdown order.
 *
 * Start-up: validate config, lock data.dir, load metadata, load and recover every log, create
 * `__consumer_offsets` if missing, then listen; committed offsets load in the background (group
 * requests answer COORDINATOR_LOAD_IN_PROGRESS meanwhile). Shutdown (close()): stop accepting,
 * let in-flight requests finish, stop the group coordinator's timers, flush and close every log,
 * write the recovery checkpoint and the clean-shutdown marker, release the lock.
 */
import * as fs from 'node:fs';
import { BufferPool } from './util/buffer-pool';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { resolveBrokerConfig, type BrokerConfig, type ConfigInput } from './config/broker-config';
import { adminHandlers } from './handlers/admin';
import { fetchHandler } from './handlers/fetch';
import { groupHandlers } from './handlers/groups';
import { CONSUMER_OFFSETS_TOPIC, GroupCoordinator, OffsetStore, builtInAssignors } from './groups';
import { clusterHandlers } from './handlers/cluster';
import { listOffsetsHandler } from './handlers/list-offsets';
import { operationHandlers } from './handlers/operations';
import { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch';
import { initProducerIdHandler } from './handlers/init-producer-id';
import { produceHandler } from './handlers/produce';
import { FileBlockSource, ProducerIdManager } from './producer-ids';
import { BrokerMetrics, type PartitionLag } from './metrics';
import { parseTp } from './groups/topic-partitions';
import type { BrokerServices, RequestHandler } from './server/handler';
import { BrokerServer } from './server/server';
import { StandaloneCluster, type ClusterView } from './cluster/cluster-view';
import { EtcdCluster } from './cluster/etcd-cluster';
import { EtcdBlockSource } from './cluster/etcd-producer-ids';
import { ReplicaManager } from './replication/replica-manager';
import { isNoSpace } from './storage/log';
import { LogManager } from './storage/log-manager';
import { LocalMetadataStore, type MetadataStore } from './topics/metadata-store';
import { LocalAclStore, type AclStore } from './security/acl-store';
import { BrokerSecurity } from './security/broker-security';
import { LocalCredentialStore, type CredentialStore } from './security/credential-store';
import { EtcdAclStore } from './security/etcd-acl-store';
import { EtcdCredentialStore } from './security/etcd-credential-store';
import { bootstrapInterBrokerUser, interBrokerTls, readInterBrokerCredentials, type InterBrokerCredentials } from './security/inter-broker';
import { securityHandlers } from './security/security-handlers';
import { TopicManager } from './topics/topic-manager';
import { systemClock, type Clock } from './util/clock';
import { createLogger } from './util/logger';
import { installNativeCrc32c } from './util/native-crc';
import { systemScheduler, type Scheduler } from './util/scheduler';
import { BROKER_VERSION } from './version';

export interface StartBrokerOptions {
  /** Folder for all broker data. Default: ./data */
  dataDir?: string;
  /** Port to listen on; 0 picks a free one. Default: 9092 */
  port?: number;
  /** Interface to listen on. Default: 127.0.0.1 */
  host?: string;
  /** Any broker setting by its dotted name, e.g. `{ 'auto.create.topics.enable': true }`. */
  config?: ConfigInput;
  /** A pino logger to use instead of the broker's own (whose level is `log.level`, default "warn" when embedded). */
  logger?: Logger;
  /** Time source (tests). */
  clock?: Clock;
  /** Timers of the broker (group session and rebalance timeouts, background flushes, checkpoints, retention, the cleaner); tests pass a ManualScheduler. Default: real timers. */
  scheduler?: Scheduler;
  /** Topic metadata store; default: a file in data.dir. */
  metadataStore?: MetadataStore;
  /** SCRAM credentials store; default: credentials.json in data.dir, or etcd in a cluster. */
  credentialStore?: CredentialStore;
  /** ACL store; default: acls.json in data.dir, or etcd in a cluster. */
  aclStore?: AclStore;
  /** The process's descriptor limit (tests); default: read from the OS. */
  descriptorLimit?: number | null;
  /** Also collect process metrics (CPU, memory, event loop) in /metrics. Default: false. */
  processMetrics?: boolean;
}

/** A running broker. */
export interface RunningBroker {
  /** ws:// URL clients connect to. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly config: BrokerConfig;
  readonly metrics: BrokerMetrics;
  /** Reloads the TLS certificate, key and CA files (also done on SIGHUP by strata-broker); false without TLS or on failure. */
  reloadCertificates(): boolean;
  /** Graceful shutdown; safe to call more than once. */
  close(): Promise<void>;
}

export class Broker implements RunningBroker {
  port = 0;
  private server: BrokerServer | null = null;
  private closing: Promise<void> | null = null;
  private lockPath: string;
  readonly metrics: BrokerMetrics;
  readonly logs: LogManager;
  readonly topics: TopicManager;
  readonly replicas: ReplicaManager;
  private readonly cluster: ClusterView;
  /** Set when this broker is part of a cluster (etcd.endpoints). */
  private readonly etcd: EtcdCluster | null = null;
  readonly logger: Logger;
  private readonly producerIds: ProducerIdManager;
  readonly groups: GroupCoordinator;
  private groupsLoading: Promise<void> = Promise.resolve();
  private readonly credentials: CredentialStore;
  private readonly acls: AclStore;
  /** How this broker authenticates to the other brokers (cluster with inter.broker.sasl.*). */
  private readonly interBroker: InterBrokerCredentials | null;
  private readonly clock: Clock;
  private readonly descriptorLimit: number | null | undefined;

  private constructor(
    readonly config: BrokerConfig,
    options: StartBrokerOptions,
  ) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    this.descriptorLimit = options.descriptorLimit;
    this.interBroker = config.cluster.etcdEndpoints.length > 0 ? readInterBrokerCredentials(config.cluster) : null;
    const scheduler = options.scheduler ?? systemScheduler;
    // Embedded, 'auto' means JSON: only the command line knows whether stdout is a terminal.
    this.logger = options.logger ?? createLogger(config.logLevel, undefined, config.logFormat === 'pretty' ? 'pretty' : 'json');
    if (!installNativeCrc32c()) this.logger.debug('native CRC-32C not available on this platform; using the portable one');
    this.metrics = new BrokerMetrics({ defaultMetrics: options.processMetrics ?? false });
    this.lockPath = join(this.dataDir, '.lock');
    const metrics = this.metrics;
    this.logs = new LogManager({
      dataDir: this.dataDir,
      clock,
      scheduler,
      logger: this.logger,
      metrics: { offlinePartitions: (n) => metrics.offlinePartitions.set(n), corruptBatch: () => metrics.corruptBatches.inc() },
      maxBatchBytes: config.maxFrameBytes,
      flushIntervalMs: config.flushIntervalMs,
      checkpointIntervalMs: config.checkpointIntervalMs,
      retentionCheckIntervalMs: config.retentionCheckIntervalMs,
      fileDeleteDelayMs: config.fileDeleteDelayMs,
      cleanerEnable: config.cleanerEnable,
      cleanerBackoffMs: config.cleanerBackoffMs,
      cleanerDedupeBufferSize: config.cleanerDedupeBufferSize,
      maxOpenFiles: config.maxOpenFiles,
      tailCacheBytes: config.tailCacheBytes,
      inlineWriteMaxBytes: config.inlineWriteMaxBytes,
    });
    this.topics = new TopicManager(options.metadataStore ?? new LocalMetadataStore(this.dataDir, this.logger), this.logs, config, clock, this.logger);
    this.replicas = new ReplicaManager(this.topics, () => this.cluster);
    if (config.cluster.etcdEndpoints.length > 0) {
      this.etcd = new EtcdCluster({
        config,
        topics: this.topics,
        replicas: this.replicas,
        clock,
        scheduler,
        logger: this.logger,
        url: () => this.url,
        // Leading a __consumer_offsets partition makes this broker the coordinator of its groups.
        onIsrChange: (kind) => (kind === 'shrink' ? this.metrics.isrShrinks.inc() : this.metrics.isrExpands.inc()),
        onRolesChanged: (topic) => {
          if (topic === CONSUMER_OFFSETS_TOPIC) this.groups.syncLeadership();
        },
        credentials: this.interBroker,
        tls: interBrokerTls(config.security),
        ...(config.cluster.interBrokerLocalAddress ? { localAddress: config.cluster.interBrokerLocalAddress } : {}) });
      this.cluster = this.etcd;
      const etcd = this.etcd;
      // Every broker of the cluster shares one set of users and ACLs.
      const stores = { client: etcd.client, layout: etcd.layout, logger: this.logger };
      this.credentials = options.credentialStore ?? new EtcdCredentialStore(stores);
      this.acls = options.aclStore ?? new EtcdAclStore(stores);
      this.metrics.setReplicationSource(() => etcd.replicationSnapshot());
      this.producerIds = new ProducerIdManager(new EtcdBlockSource(this.etcd.client, this.etcd.layout));
    } else {
      this.credentials = options.credentialStore ?? new LocalCredentialStore(this.dataDir);
      this.acls = options.aclStore ?? new LocalAclStore(this.dataDir);
      this.cluster = new StandaloneCluster(() => ({ nodeId: config.brokerId, url: this.url, rack: '', epoch: 0 }), this.topics);
      this.producerIds = new ProducerIdManager(new FileBlockSource(this.dataDir));
    }
    this.groups = this.createGroupCoordinator(scheduler, clock);
    this.metrics.setLagSource(() => this.consumerLag());
    this.services = {
      config,
      topics: this.topics,
      replicas: this.replicas,
      cluster: this.cluster,
      logs: this.logs,
      metrics: this.metrics,
      clock,
      logger: this.logger,
      advertisedUrl: () => this.url,
      version: BROKER_VERSION,
      buffers: new BufferPool(),
    };
  }

  private readonly services: BrokerServices;

  private createGroupCoordinator(scheduler: Scheduler, clock: Clock): GroupCoordinator {
    const topics = this.topics;
    const offsets = new OffsetStore({
      partitions: () => topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions ?? [],
      clustered: this.config.cluster.etcdEndpoints.length > 0,
      durable: this.config.durability === 'fsync',
      clock,
      logger: this.logger,
    });
    return new GroupCoordinator({
      config: this.config.groups,
      catalog: {
        version: () => topics.version,
        partitionCount: (name) => topics.get(name)?.record.partitions,
        userTopics: () =>
          topics
            .list()
            .filter((t) => !t.record.internal)
            .map((t) => t.record.name),
        highWatermark: (name, partition) => topics.partition(name, partition)?.log.highWatermark,
      },
      offsets,
      assignors: builtInAssignors(),
      scheduler,
      logger: this.logger,
      metrics: this.metrics,
    });
  }

  /** Per group and committed partition: high watermark minus committed offset (partitions that no longer exist are left out). */
  private *consumerLag(): Iterable<PartitionLag> {
    const offsets = this.groups.offsets;
    for (const group of offsets.groups()) {
      for (const [tp, committed] of offsets.groupOffsets(group)) {
        const { topic, partition } = parseTp(tp);
        const hw = this.topics.partition(topic, partition)?.log.highWatermark;
        if (hw !== undefined) yield { group, topic, partition, lag: Math.max(0, hw - committed.offset) };
      }
    }
  }

  /** Creates the compacted internal topic holding committed offsets on first start. */
  private async ensureOffsetsTopic(): Promise<void> {
    const existing = this.topics.get(CONSUMER_OFFSETS_TOPIC);
    const wanted = this.config.groups.offsetsTopicPartitions;
    if (existing) {
      if (existing.partitions.length !== wanted) {
        this.logger.warn(
          { partitions: existing.partitions.length, setting: wanted },
          `${CONSUMER_OFFSETS_TOPIC} keeps the partition count it was created with; offsets.topic.num.partitions is ignored`,
        );
      }
      return;
    }
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': String(this.config.groups.offsetsTopicSegmentBytes) };
    await this.topics.create({ name: CONSUMER_OFFSETS_TOPIC, numPartitions: wanted, configs }, true);
  }

  get dataDir(): string {
    return resolve(this.config.dataDir);
  }

  get host(): string {
    return this.config.host;
  }

  get url(): string {
    if (this.config.advertisedUrl) return this.config.advertisedUrl;
    const host = this.config.host === '0.0.0.0' || this.config.host === '::' ? '127.0.0.1' : this.config.host;
    const scheme = this.config.security.sslCertFile ? 'wss' : 'ws';
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** Validates `options` and starts a broker. Throws ConfigError for invalid settings. */
  static async start(options: StartBrokerOptions = {}): Promise<Broker> {
    const input: ConfigInput = { 'log.level': 'warn', ...options.config };
    if (options.dataDir !== undefined) input['data.dir'] = options.dataDir;
    if (options.port !== undefined) input['port'] = options.port;
    if (options.host !== undefined) input['host'] = options.host;
    return Broker.startWithConfig(resolveBrokerConfig({ options: input }), options);
  }

  /** Starts a broker from an already resolved configuration (the command-line entry point). */
  static async startWithConfig(config: BrokerConfig, options: Omit<StartBrokerOptions, 'config' | 'dataDir' | 'port' | 'host'> = {}): Promise<Broker> {
    const broker = new Broker(config, options);
    await broker.startup();
    return broker;
  }

  private async startup(): Promise<void> {
    const started = Date.now();
    await fs.promises.mkdir(this.dataDir, { recursive: true });
    await this.lock();
    try {
      await this.logs.open();
      if (this.etcd) {
        // The cluster's state says which replicas this broker holds; their logs load from it.
        await this.etcd.start();
      } else {
        await this.topics.load();
        await this.ensureOffsetsTopic();
      }
      await this.producerIds.load();
      await this.logs.startupComplete();
      await this.credentials.load();
      await this.acls.load();
      if (this.etcd) await this.clusterSecurityStartup();
      const handlers = new Map<number, RequestHandler>();
      const supported = () => [...handlers.keys()];
      for (const h of [
        ...adminHandlers(this.services, supported),
        produceHandler(this.services),
        fetchHandler(this.services),
        listOffsetsHandler(this.services),
        initProducerIdHandler(this.producerIds),
        ...operationHandlers(this.services),
        offsetForLeaderEpochHandler(this.services),
        ...clusterHandlers(this.services, this.cluster),
        ...groupHandlers(this.services, this.groups),
        ...securityHandlers(this.acls, this.credentials),
      ]) {
        handlers.set(h.api.key, h);
      }
      const security = new BrokerSecurity({
        settings: this.config.security,
        credentials: this.credentials,
        acls: this.acls,
        topics: { exists: (name) => this.topics.get(name) !== undefined, autoCreate: this.config.autoCreateTopics },
        metrics: this.metrics,
        clock: this.clock,
        logger: this.logger,
      });
      this.server = new BrokerServer(this.services, handlers, {
        maxFrameBytes: this.config.maxFrameBytes,
        maxInflightRequests: this.config.maxInflightRequests,
        maxBufferedBytes: this.config.maxBufferedBytes,
        security,
        settings: this.config.security,
        maxOpenFiles: this.config.maxOpenFiles,
        ...(this.descriptorLimit !== undefined ? { descriptorLimit: this.descriptorLimit } : {}),
      });
      this.port = await this.server.listen(this.config.host, this.config.port);
      // Reachable now: join the cluster (other brokers and clients learn this URL from etcd).
      await this.etcd?.register();
      // Errors are logged by the store; group requests then fail with COORDINATOR_NOT_AVAILABLE.
      // In a cluster each __consumer_offsets partition loads when this broker becomes its leader.
      if (!this.etcd) this.groupsLoading = this.groups.load().catch(() => undefined);
    } catch (e) {
      this.groups.close();
      await this.server?.close(0).catch(() => undefined);
      await this.closeStores().catch(() => undefined);
      await this.etcd?.close().catch(() => undefined);
      await this.logs.shutdown().catch(() => undefined);
      await this.unlock();
      throw e;
    }
    this.logger.info(
      { url: this.url, dataDir: this.dataDir, topics: this.topics.list().length, durability: this.config.durability, ms: Date.now() - started, version: BROKER_VERSION },
      'broker started',
    );
  }

  /** In a cluster: the inter-broker user exists; local security files left from a single broker are not used. */
  private async clusterSecurityStartup(): Promise<void> {
    if (this.interBroker && this.credentials instanceof EtcdCredentialStore) await bootstrapInterBrokerUser(this.credentials, this.interBroker, this.logger);
    for (const file of ['credentials.json', 'acls.json']) {
      if (fs.existsSync(join(this.dataDir, file))) {
        this.logger.warn({ file: join(this.dataDir, file) }, `${file} in data.dir is not used: a clustered broker keeps users and ACLs in etcd (recreate them with strata users / strata acls)`);
      }
    }
  }

  /** Takes `.lock` in data.dir, so two brokers never share a folder. A lock left by a dead process is taken over. */
  private async lock(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.promises.writeFile(this.lockPath, `${process.pid}\n`, { flag: 'wx' });
        return;
      } catch (e) {
        if (isNoSpace(e) && fs.existsSync(this.lockPath)) {
          // A full disk: the lock file exists but could not hold our pid. Start anyway (read-only
          // until space returns); another broker would see a lock without a live pid.
          this.logger.warn({ path: this.lockPath }, 'disk full: the data.dir lock holds no pid');
          return;
        }
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number((await fs.promises.readFile(this.lockPath, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
          throw new Error(`data.dir ${this.dataDir} is in use by another broker (pid ${pid}); stop it or choose another data.dir`);
        }
        if (pid === process.pid) throw new Error(`data.dir ${this.dataDir} is in use by another broker in this process`);
        await fs.promises.rm(this.lockPath, { force: true });
      }
    }
    throw new Error(`could not lock data.dir ${this.dataDir}`);
  }

  private async unlock(): Promise<void> {
    await fs.promises.rm(this.lockPath, { force: true });
  }

  private async closeStores(): Promise<void> {
    await Promise.all([this.credentials.close?.(), this.acls.close?.()]);
  }

  reloadCertificates(): boolean {
    return this.server?.reloadCertificates() ?? false;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.logger.info('broker shutting down');
      // In a cluster, leaderships move to other replicas first: clients retry there.
      await this.etcd?.moveLeadershipsAway().catch((e: unknown) => this.logger.warn({ err: e }, 'controlled shutdown failed'));
      await this.server?.close(this.config.shutdownTimeoutMs);
      this.groups.close();
      await this.groupsLoading;
      await this.closeStores().catch((e: unknown) => this.logger.warn({ err: e }, 'closing the security stores failed'));
      await this.etcd?.close().catch((e: unknown) => this.logger.warn({ err: e }, 'leaving the cluster failed'));
      await this.logs.shutdown();
      await this.unlock();
      this.logger.info('broker stopped');
    })();
    return this.closing;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts a broker in this process, e.g. inside a test suite:
 * `const broker = await startBroker({ dataDir, port: 0 })`, then connect clients to `broker.url`
 * and `await broker.close()` at the end.
 */
export function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  return Broker.start(options);
}
