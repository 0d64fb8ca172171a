/**
 * KafkaJS's Consumer (always a group member) over the SDK's group consumer.
 *
 * KafkaJS takes the commit settings (autoCommit, autoCommitInterval, autoCommitThreshold) in run(),
 * the SDK when the consumer is created: run() replaces the SDK consumer (which has not joined its
 * group yet) when they differ from what it was created with, replaying the subscriptions.
 * Seeks and pauses of partitions not assigned yet (KafkaJS allows `seek` right after `run`) wait
 * and apply when the group assigns them. `heartbeat()` in handlers resolves at once: the SDK
 * heartbeats in the background whatever the handler does. A crash restarts consumption when
 * KafkaJS would (retriable, or retries exhausted) and `retry.restartOnFailure` (default: yes)
 * agrees. Single-threaded.
 */
import type { Buffer } from 'node:buffer';
import type { Admin as StrataAdmin } from '../admin/admin';
import { StrataError } from '@strata/protocol';
import type { Consumer as StrataConsumer } from '../consumer/consumer';
import type { ConsumerOptions } from '../consumer/consumer-options';
import type { EachBatchPayload as StrataBatchPayload, EachMessagePayload as StrataMessagePayload, RunOptions } from '../consumer/runner';
import type { TopicPartition } from '../consumer/subscription-state';
import type { Strata } from '../index';
import { assignorFor, type PartitionAssigner } from './assigner-protocol';
import { registeredCodecs } from './compression';
import { asKafkaJS, invalidOption, kafkaJSError, KafkaJSNumberOfRetriesExceeded, notSupported } from './errors';
import { consumerRoutes, type CrashEmitter } from './consumer-events';
import { ConsumerEvents, EventRouter, strataOn, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './events';
import { toGroupDescription, type GroupDescription } from './groups';
import type { Logger } from './logger';
import { toKafkaBatch, toKafkaMessage, type Batch, type KafkaMessage } from './messages';
import { checkKeys, parseOffset, refuse, toStrataRetry, type RetryOptions } from './options';
import type { ComponentContext } from './producer';

export interface ConsumerConfig {
  groupId: string;
  partitionAssigners?: PartitionAssigner[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  /** Accepted; Strata's broker sets the heartbeat interval (group.consumer.heartbeat.interval.ms). */
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions;
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number;
  /** Either value reads the same records: Strata has no transactions, so nothing is uncommitted. */
  readUncommitted?: boolean;
  rackId?: string;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface TopicPartitionOffsetAndMetadata {
  topic: string;
  partition: number;
  offset: string;
  metadata?: string | null;
}

export interface OffsetsByTopicPartition {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;

export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
}

export interface ConsumerSubscribeTopics {
  topics: Array<string | RegExp>;
  fromBeginning?: boolean;
}

/** KafkaJS's older, singular form. */
export interface ConsumerSubscribeTopic {
  topic: string | RegExp;
  fromBeginning?: boolean;
}

export type TopicPartitions = { topic: string; partitions: number[] };

const CONFIG_KEYS = [
  'groupId', 'partitionAssigners', 'metadataMaxAge', 'sessionTimeout', 'rebalanceTimeout', 'heartbeatInterval', 'maxBytesPerPartition',
  'minBytes', 'maxBytes', 'maxWaitTimeInMs', 'retry', 'allowAutoTopicCreation', 'maxInFlightRequests', 'readUncommitted', 'rackId',
] as const;
const RUN_KEYS = ['autoCommit', 'autoCommitInterval', 'autoCommitThreshold', 'eachBatchAutoResolve', 'partitionsConsumedConcurrently', 'eachBatch', 'eachMessage'] as const;

interface CommitSettings {
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
}

const sameCommit = (a: CommitSettings, b: CommitSettings): boolean =>
  a.autoCommit === b.autoCommit && a.autoCommitInterval === b.autoCommitInterval && a.autoCommitThreshold === b.autoCommitThreshold;

export class Consumer {
  readonly events = ConsumerEvents;
  private readonly strata: Strata;
  private readonly base: ConsumerOptions;
  private readonly groupId: string;
  private readonly router: EventRouter;
  private readonly crash: CrashEmitter;
  private readonly restartOnFailure: (e: Error) => Promise<boolean>;
  private consumer: StrataConsumer<Buffer>;
  private commit: CommitSettings = { autoCommit: true, autoCommitInterval: null, autoCommitThreshold: null };
  private readonly subscriptions: ConsumerSubscribeTopics[] = [];
  private readonly pendingSeeks = new Map<string, { topic: string; partition: number; offset: number }>();
  private readonly pausedTopics = new Map<string, Set<number> | 'all'>();
  private admin: StrataAdmin | null = null;
  private connected = false;
  private handlers: RunOptions<Buffer> | null = null;

  constructor(
    private readonly ctx: ComponentContext,
    config: ConsumerConfig,
  ) {
    if (!config || typeof config !== 'object') throw invalidOption('consumer', 'expected { groupId, ... }: KafkaJS consumers need a groupId');
    checkKeys(config, CONFIG_KEYS, 'consumer');
    if (typeof config.groupId !== 'string' || config.groupId.length === 0) throw invalidOption('consumer.groupId', 'Consumer groupId must be a non-empty string');
    refuse(config, { rackId: 'Strata has no rack-aware fetching' }, 'consumer');
    this.groupId = config.groupId;
    const options: ConsumerOptions = { groupId: config.groupId, allowAutoTopicCreation: config.allowAutoTopicCreation ?? true };
    const assignor = assignorFor(config.partitionAssigners);
    if (assignor) options.assignor = assignor;
    if (config.sessionTimeout !== undefined) options.sessionTimeoutMs = config.sessionTimeout;
    if (config.rebalanceTimeout !== undefined) options.maxPollIntervalMs = config.rebalanceTimeout;
    if (config.maxBytesPerPartition !== undefined) options.maxBytesPerPartition = config.maxBytesPerPartition;
    if (config.minBytes !== undefined) options.minBytes = config.minBytes;
    if (config.maxBytes !== undefined) options.maxBytes = config.maxBytes;
    if (config.maxWaitTimeInMs !== undefined) options.maxWaitMs = config.maxWaitTimeInMs;
    const retry = toStrataRetry(config.retry, 'consumer', true);
    if (retry) options.retry = retry;
    this.base = options;
    const userRestart = config.retry?.restartOnFailure;
    if (userRestart !== undefined && typeof userRestart !== 'function') throw invalidOption('consumer.retry.restartOnFailure', 'expected an async function (error) => boolean');
    this.restartOnFailure = userRestart ?? (async () => true);
    if (config.heartbeatInterval !== undefined) {
      ctx.logger.warn('consumer option heartbeatInterval has no effect: the Strata broker sets the heartbeat interval (group.consumer.heartbeat.interval.ms)', { groupId: this.groupId });
    }
    this.strata = ctx.strata({
      ...(config.metadataMaxAge !== undefined ? { metadataMaxAgeMs: config.metadataMaxAge } : {}),
      ...(config.maxInFlightRequests !== undefined ? { maxInFlightRequests: config.maxInFlightRequests } : {}),
      namespace: 'Consumer',
    });
    this.router = new EventRouter(ConsumerEvents, consumerRoutes(ctx.clientId, config.groupId, () => this.consumer));
    this.crash = { emit: (payload) => this.router.emit('CRASH', payload) };
    this.consumer = this.create();
  }

  async connect(): Promise<void> {
    await asKafkaJS(() => this.consumer.connect());
    this.connected = true;
  }

  /** Stops consuming (committing what was processed, leaving the group) and closes the connections. */
  async disconnect(): Promise<void> {
    this.connected = false;
    await asKafkaJS(async () => {
      await this.consumer.disconnect();
      await this.admin?.disconnect();
      this.admin = null;
    });
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    await asKafkaJS(() => {
      if (!subscription || typeof subscription !== 'object') throw invalidOption('subscribe', 'expected { topics: [...], fromBeginning? } or { topic, fromBeginning? }');
      checkKeys(subscription, ['topics', 'topic', 'fromBeginning'], 'subscribe');
      const s = subscription as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>;
      if (s.topic !== undefined && s.topics !== undefined) throw invalidOption('subscribe', 'pass either topic or topics, not both');
      const topics = s.topics ?? (s.topic !== undefined ? [s.topic] : undefined);
      if (topics === undefined) throw invalidOption('subscribe.topics', 'missing: pass { topics: [...] } (or KafkaJS 1.x { topic })');
      const normalized: ConsumerSubscribeTopics = { topics: Array.isArray(topics) ? topics : [topics], ...(s.fromBeginning !== undefined ? { fromBeginning: s.fromBeginning } : {}) };
      this.consumer.subscribe(normalized);
      this.subscriptions.push(normalized);
    });
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    await asKafkaJS(async () => {
      checkKeys(config, RUN_KEYS, 'run');
      const commit: CommitSettings = {
        autoCommit: config.autoCommit ?? true,
        autoCommitInterval: config.autoCommitInterval ?? null,
        autoCommitThreshold: config.autoCommitThreshold ?? null,
      };
      if (!commit.autoCommit && (commit.autoCommitInterval !== null || commit.autoCommitThreshold !== null)) {
        throw invalidOption('run.autoCommitInterval', 'autoCommitInterval and autoCommitThreshold need autoCommit: true');
      }
      if (!sameCommit(commit, this.commit)) await this.rebuild(commit);
      const handlers = this.wrap(config, commit.autoCommit);
      this.handlers = handlers;
      await this.consumer.run(handlers);
    });
  }

  async stop(): Promise<void> {
    this.handlers = null;
    await asKafkaJS(() => this.consumer.stop());
  }

  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    await asKafkaJS(() => {
      if (!Array.isArray(topicPartitions)) throw invalidOption('commitOffsets', 'expected an array of { topic, partition, offset }');
      return this.consumer.commitOffsets(
        topicPartitions.map((tp, i) => {
          checkKeys(tp, ['topic', 'partition', 'offset', 'metadata'], `commitOffsets[${i}]`);
          if (tp.metadata !== undefined && tp.metadata !== null) throw notSupported(`commitOffsets[${i}].metadata`, 'the Strata consumer commits offsets without metadata');
          return { topic: tp.topic, partition: tp.partition, offset: parseOffset(tp.offset, `commitOffsets[${i}].offset`) };
        }),
      );
    });
  }

  /** Moves a partition to `offset`; a partition not assigned yet moves once the group assigns it. */
  seek(topicPartitionOffset: { topic: string; partition: number; offset: string }): void {
    const tpo = topicPartitionOffset;
    checkKeys(tpo, ['topic', 'partition', 'offset'], 'seek');
    const target = { topic: tpo.topic, partition: tpo.partition, offset: parseOffset(tpo.offset, 'seek.offset') };
    if (target.offset < 0) throw notSupported('seek.offset', `negative (special) offsets are not supported; got ${tpo.offset}`);
    if (this.isAssigned(target)) this.consumer.seek(target);
    else this.pendingSeeks.set(`${target.topic}\u0000${target.partition}`, target);
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    this.select(topics, 'pause', (topic, partitions) => {
      const current = this.pausedTopics.get(topic);
      if (!partitions) this.pausedTopics.set(topic, 'all');
      else if (current !== 'all') this.pausedTopics.set(topic, new Set([...(current ?? []), ...partitions]));
      this.applyPauses();
    });
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    this.select(topics, 'resume', (topic, partitions) => {
      const current = this.pausedTopics.get(topic);
      if (!partitions || current === 'all') this.pausedTopics.delete(topic);
      else if (current) for (const p of partitions) current.delete(p);
      const assigned = this.consumer.assignment().filter((tp) => tp.topic === topic && (!partitions || partitions.includes(tp.partition)));
      if (assigned.length > 0) this.consumer.resume([{ topic, partitions: assigned.map((tp) => tp.partition) }]);
    });
  }

  paused(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const tp of this.consumer.paused()) (byTopic.get(tp.topic) ?? byTopic.set(tp.topic, []).get(tp.topic)!).push(tp.partition);
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  async describeGroup(): Promise<GroupDescription> {
    return asKafkaJS(async () => {
      if (!this.admin) {
        const admin = this.strata.admin();
        await admin.connect();
        this.admin = admin;
      }
      return toGroupDescription(await this.admin.describeGroup(this.groupId, { includeOffsets: false }));
    });
  }

  logger(): Logger {
    return this.ctx.logger;
  }

  on(eventName: string, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<string> {
    return this.router.on(eventName, listener);
  }

  private create(): StrataConsumer<Buffer> {
    const c = this.strata.consumer({
      ...this.base,
      codecs: registeredCodecs(),
      autoCommit: this.commit.autoCommit,
      ...(this.commit.autoCommitInterval !== null ? { autoCommitInterval: this.commit.autoCommitInterval } : {}),
      ...(this.commit.autoCommitThreshold !== null ? { autoCommitThreshold: this.commit.autoCommitThreshold } : {}),
    });
    this.router.bind(strataOn(c));
    c.on('consumer.rebalance', () => {
      this.applySeeks();
      this.applyPauses();
    });
    c.on('consumer.crash', ({ payload }) => void this.onCrash(c, payload.error));
    return c;
  }

  private async rebuild(commit: CommitSettings): Promise<void> {
    const old = this.consumer;
    this.commit = commit;
    this.consumer = this.create();
    for (const s of this.subscriptions) this.consumer.subscribe(s);
    await old.disconnect();
    if (this.connected) await this.consumer.connect();
  }

  private wrap(config: ConsumerRunConfig, autoCommit: boolean): RunOptions<Buffer> {
    const heartbeat = (): Promise<void> => Promise.resolve();
    const options: RunOptions<Buffer> = {};
    if (config.partitionsConsumedConcurrently !== undefined) options.partitionsConsumedConcurrently = config.partitionsConsumedConcurrently;
    const { eachMessage, eachBatch } = config;
    if (eachMessage !== undefined && eachBatch !== undefined) throw invalidOption('run', 'pass eachMessage or eachBatch, not both');
    if (eachMessage !== undefined) {
      if (typeof eachMessage !== 'function') throw invalidOption('run.eachMessage', 'expected an async function');
      if (config.eachBatchAutoResolve !== undefined) throw invalidOption('run.eachBatchAutoResolve', 'applies to eachBatch only');
      options.eachMessage = ({ topic, partition, message, pause }: StrataMessagePayload<Buffer>) => eachMessage({ topic, partition, message: toKafkaMessage(message), heartbeat, pause });
    } else if (eachBatch !== undefined) {
      if (typeof eachBatch !== 'function') throw invalidOption('run.eachBatch', 'expected an async function');
      const autoResolve = config.eachBatchAutoResolve ?? true;
      options.eachBatch = (p) => this.runBatch(eachBatch, p, autoResolve, autoCommit, heartbeat);
    } else {
      throw invalidOption('run', 'pass eachMessage or eachBatch');
    }
    return options;
  }

  private async runBatch(handler: EachBatchHandler, p: StrataBatchPayload<Buffer>, autoResolve: boolean, autoCommit: boolean, heartbeat: () => Promise<void>): Promise<void> {
    const { topic, partition } = p.batch;
    let resolved = -1;
    const uncommitted = (): OffsetsByTopicPartition => ({ topics: resolved < 0 ? [] : [{ topic, partitions: [{ partition, offset: String(resolved + 1) }] }] });
    await handler({
      batch: toKafkaBatch(p.batch),
      resolveOffset: (offset) => {
        const n = parseOffset(offset, 'resolveOffset');
        if (n > resolved) resolved = n;
        p.resolveOffset(n);
      },
      heartbeat,
      pause: p.pause,
      commitOffsetsIfNecessary: async (offsets) => {
        if (offsets) {
          const list = offsets.topics.flatMap((t) => t.partitions.map((x) => ({ topic: t.topic, partition: x.partition, offset: x.offset })));
          await this.commitOffsets(list);
        } else if (autoCommit && resolved >= 0) {
          await asKafkaJS(() => this.consumer.commitOffsets([{ topic, partition, offset: resolved + 1 }]));
        }
      },
      uncommittedOffsets: uncommitted,
      isRunning: p.isRunning,
      isStale: p.isStale,
    });
    if (!autoResolve && !p.isStale() && p.isRunning()) {
      const last = p.batch.lastOffset() ?? -1;
      const first = p.batch.firstOffset() ?? 0;
      // KafkaJS fetches again from the first unresolved offset: a seek there does the same here.
      if (resolved < last) this.consumer.seek({ topic, partition, offset: resolved >= first ? resolved + 1 : first });
    }
  }

  private async onCrash(c: StrataConsumer<Buffer>, error: Error): Promise<void> {
    const handlers = this.handlers;
    const retriable = !(error instanceof StrataError) || error.retriable;
    const kafkaError = retriable ? new KafkaJSNumberOfRetriesExceeded(error, { cause: kafkaJSError(error) }) : kafkaJSError(error);
    let restart = false;
    if (retriable && handlers) {
      try {
        restart = (await this.restartOnFailure(kafkaError)) === true;
      } catch (e) {
        this.ctx.logger.error('restartOnFailure threw; not restarting', { error: e instanceof Error ? e.message : String(e) });
      }
    }
    this.crash.emit({ error: kafkaError, groupId: this.groupId, restart });
    if (!restart || !handlers) return;
    await c.stop();
    if (this.consumer !== c || this.handlers !== handlers || !this.connected) return;
    this.ctx.logger.info('restarting the consumer after a crash', { groupId: this.groupId, error: kafkaError.message });
    await c.run(handlers).catch((e: unknown) => this.ctx.logger.error('restarting the consumer failed', { error: e instanceof Error ? e.message : String(e) }));
  }

  private isAssigned(tp: TopicPartition): boolean {
    return this.consumer.assignment().some((a) => a.topic === tp.topic && a.partition === tp.partition);
  }

  private applySeeks(): void {
    for (const [key, target] of this.pendingSeeks) {
      if (!this.isAssigned(target)) continue;
      this.pendingSeeks.delete(key);
      this.consumer.seek(target);
    }
  }

  private applyPauses(): void {
    for (const [topic, which] of this.pausedTopics) {
      const partitions = this.consumer
        .assignment()
        .filter((tp) => tp.topic === topic && (which === 'all' || which.has(tp.partition)))
        .map((tp) => tp.partition);
      if (partitions.length > 0) this.consumer.pause([{ topic, partitions }]);
    }
  }

  private select(topics: Array<{ topic: string; partitions?: number[] }>, op: string, fn: (topic: string, partitions: number[] | undefined) => void): void {
    if (!Array.isArray(topics)) throw invalidOption(op, 'expected an array of { topic, partitions? }');
    topics.forEach((t, i) => {
      checkKeys(t, ['topic', 'partitions'], `${op}[${i}]`);
      if (typeof t.topic !== 'string') throw invalidOption(`${op}[${i}].topic`, 'expected a topic name');
      fn(t.topic, t.partitions);
    });
  }
}
