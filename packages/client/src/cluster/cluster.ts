/**
 * The cluster as one component (a producer, a consumer or an admin) sees it: one BrokerConnection
 * per broker URL, the brokers' node ids and URLs from Metadata, and the topic metadata cache. It
 * routes each partition request to the leader's connection.
 *
 * Invariants:
 * - bootstrap URLs are only used to reach some broker; after the first Metadata response, node ids
 *   map to the URLs brokers advertise;
 * - concurrent refreshes of the same topic share one Metadata request;
 * - after disconnect() every connection is closed and no new one opens until connect().
 * Single-threaded.
 */
import { ERRORS, StrataError, errorDefinition, errorFromCode, type ApiName, type MetadataResponse, type Push, type RequestInitOf, type ResponseOf } from '@strata/protocol';
import type { Clock } from '../clock';
import { StrataClosedError, StrataConnectionError, StrataRequestTimeoutError } from '../errors';
import type { Logger } from '../logger';
import { Connection, type ConnectionConfig, type RequestOptions } from '../network/connection';
import { BrokerConnection } from '../network/broker-connection';
import type { Retrier } from '../retry';
import { MetadataCache, type PartitionMetadataEntry, type TopicMetadataEntry } from './metadata-cache';

export interface ClusterConfig {
  brokers: readonly string[];
  connection: Omit<ConnectionConfig, 'url' | 'onClose'>;
  retrier: Retrier;
  metadataMaxAgeMs: number;
  /** Ask the broker to create topics that do not exist (when the broker allows it). */
  allowAutoTopicCreation: boolean;
  clock: Clock;
  logger: Logger;
}

/** Error codes meaning "refresh your metadata". */
const STALE_METADATA_CODES = new Set<number>([
  ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code,
  ERRORS.NOT_LEADER_OR_FOLLOWER.code,
  ERRORS.LEADER_NOT_AVAILABLE.code,
  ERRORS.FENCED_LEADER_EPOCH.code,
  ERRORS.UNKNOWN_LEADER_EPOCH.code,
]);

/** True when `error` means the metadata of the topic it concerns is stale. */
export function isStaleMetadataError(error: unknown): boolean {
  return error instanceof StrataError && (STALE_METADATA_CODES.has(error.errorCode) || error instanceof StrataConnectionError);
}

export class Cluster {
  private readonly byUrl = new Map<string, BrokerConnection>();
  private readonly pushListeners = new Set<(push: Push) => void>();
  private readonly nodeUrls = new Map<number, string>();
  private readonly cache: MetadataCache;
  private readonly refreshing = new Map<string, Promise<void>>();
  /** Topics seen in a Metadata answer (see topicError). */
  private readonly known = new Set<string>();
  private controllerId = -1;
  private bootstrapIndex = 0;
  private connected = false;
  /** Ends the retry backoff of a connect() in progress. */
  private abortConnect: () => void = () => undefined;

  constructor(private readonly config: ClusterConfig) {
    this.cache = new MetadataCache(config.metadataMaxAgeMs);
  }
  /** The client's logger, for the admin and consumer parts that share this cluster. */
  get logger(): Logger {
    return this.config.logger;
  }


  get isConnected(): boolean {
    return this.connected;
  }

  /** Connects to one bootstrap broker (with retries; disconnect() ends them at once). */
  async connect(): Promise<void> {
    this.connected = true;
    const aborted = new AbortController();
    this.abortConnect = () => aborted.abort(new StrataClosedError('disconnected while connecting'));
    try {
      await this.config.retrier.run(() => this.anyBroker(), {
        signal: aborted.signal,
        onRetry: (error, attempt, delayMs) =>
          this.config.logger.warn(`cannot reach any broker, retrying in ${delayMs} ms (attempt ${attempt + 1})`, { error: errorMessage(error) }),
      });
    } catch (error) {
      this.connected = false;
      throw error;
    }
  }

  /** Closes every connection; pending requests reject with NETWORK_EXCEPTION. */
  disconnect(): void {
    this.connected = false;
    this.abortConnect();
    for (const broker of this.byUrl.values()) broker.close();
    this.byUrl.clear();
    this.cache.clear();
  }

  /** A broker with a ready connection: a connected one if any, else the first that accepts one. */
  async anyBroker(): Promise<BrokerConnection> {
    this.assertConnected();
    for (const broker of this.byUrl.values()) if (broker.isConnected) return broker;
    const candidates = this.candidateUrls();
    let lastError: unknown = new StrataConnectionError('no broker to connect to');
    for (const url of candidates) {
      const broker = this.brokerAt(url);
      try {
        await broker.connection();
        return broker;
      } catch (error) {
        lastError = error;
        this.config.logger.debug(`could not connect to ${url}`, { error: errorMessage(error) });
      }
    }
    throw lastError;
  }

  /**
   * The strictest frame and batch limits announced by the brokers connected so far (0 when no
   * broker has said).
   */
  brokerLimits(): { maxFrameBytes: number; maxBatchBytes: number } {
    let maxFrameBytes = 0;
    let maxBatchBytes = 0;
    for (const b of this.byUrl.values()) {
      const c = b.connectionIfReady;
      if (!c) continue;
      const id = c.broker;
      if (id.maxFrameBytes > 0 && (maxFrameBytes === 0 || id.maxFrameBytes < maxFrameBytes)) maxFrameBytes = id.maxFrameBytes;
      if (id.maxBatchBytes > 0 && (maxBatchBytes === 0 || id.maxBatchBytes < maxBatchBytes)) maxBatchBytes = id.maxBatchBytes;
    }
    return { maxFrameBytes, maxBatchBytes };
  }

  /** The broker with node id `nodeId`, as advertised in metadata. */
  broker(nodeId: number): BrokerConnection {
    this.assertConnected();
    const url = this.nodeUrls.get(nodeId);
    if (url === undefined) throw new StrataError(ERRORS.LEADER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster metadata`);
    return this.brokerAt(url);
  }

  /** The controller when metadata names one, else any broker. */
  async controller(): Promise<BrokerConnection> {
    if (this.controllerId < 0 || !this.nodeUrls.has(this.controllerId)) await this.refreshMetadata([]);
    if (this.controllerId >= 0 && this.nodeUrls.has(this.controllerId)) return this.broker(this.controllerId);
    return this.anyBroker();
  }

  /**
   * Sends a request to the controller. When the answer says that broker is not (or no longer) the
   * controller — NOT_CONTROLLER for the whole request, or for an item as `itemErrors` lists them —
   * or the connection is lost, the controller is forgotten and NOT_CONTROLLER (retriable) thrown, so
   * a retry asks metadata where control went.
   */
  async requestController<N extends ApiName>(name: N, body: RequestInitOf<N>, options?: RequestOptions, itemErrors?: (response: ResponseOf<N>) => readonly number[]): Promise<ResponseOf<N>> {
    const broker = await this.controller();
    try {
      const response = await broker.request(name, body, options);
      if (itemErrors?.(response).includes(ERRORS.NOT_CONTROLLER.code)) throw new StrataError(ERRORS.NOT_CONTROLLER, `${broker.url} is no longer the controller`);
      return response;
    } catch (error) {
      if ((error instanceof StrataError && error.code === ERRORS.NOT_CONTROLLER.name) || error instanceof StrataConnectionError || error instanceof StrataRequestTimeoutError) this.controllerId = -1;
      throw error;
    }
  }

  /** Sends a request to any broker. */
  async requestAny<N extends ApiName>(name: N, body: RequestInitOf<N>, options?: RequestOptions): Promise<ResponseOf<N>> {
    const broker = await this.anyBroker();
    return broker.request(name, body, options);
  }

  /** Metadata of `topic`, from the cache when fresh. Throws the topic's error (unknown topic...). */
  async topicMetadata(topic: string): Promise<TopicMetadataEntry> {
    const cached = this.cache.get(topic, this.config.clock.now());
    if (cached) return cached;
    await this.refreshMetadata([topic]);
    const entry = this.cache.peek(topic);
    if (!entry) throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `no metadata for topic "${topic}"`);
    return entry;
  }

  /**
   * Metadata of one partition, for routing: cached metadata of any age serves (errors that mean it
   * is stale invalidate it); fetched when absent. Throws UNKNOWN_TOPIC_OR_PARTITION when the
   * partition does not exist.
   */
  async partitionMetadata(topic: string, partition: number): Promise<PartitionMetadataEntry> {
    const entry = this.cache.peek(topic) ?? (await this.topicMetadata(topic));
    const p = entry.partitions[partition];
    if (!p || p.partition !== partition) {
      throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" has no partition ${partition} (it has ${entry.partitions.length})`);
    }
    return p;
  }

  /** The connection to the leader of a partition; LEADER_NOT_AVAILABLE (retriable) when it has none. */
  async leaderFor(topic: string, partition: number): Promise<BrokerConnection> {
    const p = await this.partitionMetadata(topic, partition);
    if (p.leader < 0) {
      this.cache.invalidate(topic);
      throw new StrataError(ERRORS.LEADER_NOT_AVAILABLE, `partition ${topic}-${partition} has no leader right now`);
    }
    return this.broker(p.leader);
  }

  /** Node id of the leader of a partition (from fresh or refreshed metadata). */
  async leaderIdFor(topic: string, partition: number): Promise<number> {
    const p = await this.partitionMetadata(topic, partition);
    if (p.leader < 0) {
      this.cache.invalidate(topic);
      throw new StrataError(ERRORS.LEADER_NOT_AVAILABLE, `partition ${topic}-${partition} has no leader right now`);
    }
    return p.leader;
  }

  /** Cached metadata of `topic` when present and fresh (no request). */
  cachedTopic(topic: string): TopicMetadataEntry | undefined {
    return this.cache.get(topic, this.config.clock.now());
  }

  /**
   * Node id of the leader of a partition from cached metadata of any age, without a request: -1
   * when the topic is not cached, the partition unknown or leaderless (refresh, then ask again).
   */
  cachedLeader(topic: string, partition: number): number {
    const p = this.cache.peek(topic)?.partitions[partition];
    return p && p.partition === partition ? p.leader : -1;
  }

  /** Leader epoch of a partition from cached metadata of any age; -1 when unknown. */
  cachedLeaderEpoch(topic: string, partition: number): number {
    const p = this.cache.peek(topic)?.partitions[partition];
    return p && p.partition === partition ? p.leaderEpoch : -1;
  }

  /** Node ids of every broker in the latest metadata. */
  brokerIds(): number[] {
    return [...this.nodeUrls.keys()].sort((a, b) => a - b);
  }

  /** Forgets the cached metadata of `topic`; the next use fetches it again. */
  invalidate(topic: string): void {
    this.cache.invalidate(topic);
  }

  /**
   * Fetches metadata for `topics` (an empty list refreshes brokers only); one request per batch of
   * topics. Concurrent refreshes of a topic share one request and its outcome for that topic: its
   * own error, or the request's (a lost connection stays a retriable connection error; it never
   * turns into "topic unknown").
   */
  async refreshMetadata(topics: readonly string[]): Promise<void> {
    const waits: Promise<void>[] = [];
    const missing = topics.filter((t) => !this.refreshing.has(t));
    if (missing.length > 0 || topics.length === 0) {
      const request = this.fetchMetadata(missing);
      if (topics.length === 0) waits.push(request.then(() => undefined));
      for (const topic of missing) {
        const own = request.then((errors) => {
          const error = errors.get(topic);
          if (error) throw error;
        });
        this.refreshing.set(topic, own);
        own.then(
          () => this.refreshing.delete(topic),
          () => this.refreshing.delete(topic),
        );
      }
    }
    for (const topic of topics) waits.push(this.refreshing.get(topic) ?? Promise.resolve());
    await Promise.all(waits);
  }

  /** Forgets that `topic` existed (this client deleted it): an unknown-topic answer is then final. */
  forgetTopic(topic: string): void {
    this.known.delete(topic);
    this.cache.invalidate(topic);
  }

  /** All topic names (Metadata with all_topics), internal ones included when asked. */
  async listTopics(includeInternal = false): Promise<string[]> {
    const response = await this.requestAny('Metadata', { allTopics: true });
    this.absorb(response, []);
    return response.topics.filter((t) => t.errorCode === 0 && (includeInternal || !t.isInternal)).map((t) => t.name);
  }

  /** One Metadata request; resolves with each requested topic's error (none: fine). */
  private async fetchMetadata(topics: readonly string[]): Promise<Map<string, StrataError>> {
    const response = await this.requestAny('Metadata', {
      topics: [...topics],
      allTopics: false,
      allowAutoTopicCreation: this.config.allowAutoTopicCreation,
    });
    return this.absorb(response, topics);
  }

  /** Records brokers and topics from a Metadata response; returns the errors of requested topics. */
  private absorb(response: MetadataResponse, requested: readonly string[]): Map<string, StrataError> {
    if (response.brokers.length > 0) {
      this.nodeUrls.clear();
      for (const b of response.brokers) this.nodeUrls.set(b.nodeId, b.url);
    }
    this.controllerId = response.controllerId;
    const now = this.config.clock.now();
    const errors = new Map<string, StrataError>();
    const seen = new Set<string>();
    for (const t of response.topics) {
      seen.add(t.name);
      if (t.errorCode !== 0) {
        this.cache.invalidate(t.name);
        if (requested.includes(t.name)) errors.set(t.name, this.topicError(t.name, t.errorCode));
        continue;
      }
      const partitions = t.partitions
        .map((p) => ({ partition: p.partition, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, errorCode: p.errorCode }))
        .sort((a, b) => a.partition - b.partition);
      this.cache.set({ topic: t.name, isInternal: t.isInternal, partitions, maxMessageBytes: t.maxMessageBytes, fetchedAt: now });
      this.known.add(t.name);
    }
    for (const name of requested) {
      if (!seen.has(name)) errors.set(name, new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" is missing from the metadata response`, { retriable: this.known.has(name) }));
    }
    return errors;
  }

  /**
   * The error of a topic in a Metadata answer. "Unknown topic" about a topic this client has seen
   * exist is retriable: a broker that restarts, or one that has not caught up with the cluster
   * yet, answers it for a while; the caller's deadline (delivery timeout) bounds the retries.
   */
  private topicError(topic: string, code: number): StrataError {
    const message = `topic "${topic}": ${errorDefinition(code).message}`;
    if (code === ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code && this.known.has(topic)) {
      return new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `${message} (it existed a moment ago: retrying, the broker may be restarting)`, { retriable: true });
    }
    return errorFromCode(code, message);
  }

  private candidateUrls(): string[] {
    const bootstrap = this.config.brokers;
    const start = this.bootstrapIndex++ % bootstrap.length;
    const urls = [...bootstrap.slice(start), ...bootstrap.slice(0, start)];
    for (const url of this.nodeUrls.values()) if (!urls.includes(url)) urls.push(url);
    return urls;
  }

  /**
   * Calls `fn` with every push frame any broker sends (e.g. GroupChanged, which a group member
   * asked for); returns an unsubscribe.
   */
  onPush(fn: (push: Push) => void): () => void {
    this.pushListeners.add(fn);
    return () => this.pushListeners.delete(fn);
  }

  private dispatchPush(push: Push): void {
    for (const fn of [...this.pushListeners]) fn(push);
  }

  private brokerAt(url: string): BrokerConnection {
    let broker = this.byUrl.get(url);
    if (!broker) {
      broker = new BrokerConnection(url, (u, onClose) => new Connection({ ...this.config.connection, url: u, onClose, onPush: (push) => this.dispatchPush(push) }));
      this.byUrl.set(url, broker);
    }
    return broker;
  }

  private assertConnected(): void {
    if (!this.connected) throw new StrataClosedError('not connected: call connect() first');
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
