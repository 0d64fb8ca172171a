/**
 * Producer: sends messages to topic partitions and resolves with where each one was written.
 *
 * Minimal form (issue "producer" completes it with accumulators, linger, compression and
 * idempotence): each send() picks partitions, encodes one record batch per partition (several when
 * over the broker's batch limit) and sends one Produce request per leader, retrying retriable
 * failures with backoff. Results come back in input order.
 *
 * Invariants: sends happen only between connect() and disconnect(); concurrent send() calls are
 * independent (no ordering between them is promised until the accumulator lands).
 */
import { DEFAULT_MAX_BATCH_BYTES, topicNameProblem, ERRORS, StrataError } from '@strata/protocol';
import { createCluster, type ClientContext } from '../client-context';
import type { Cluster } from '../cluster/cluster';
import { StrataArgumentError, StrataClosedError } from '../errors';
import { InstrumentationEmitter, type EventListener, type Unsubscribe } from '../instrumentation';
import type { ConnectionEvents } from '../network/connection-events';
import { Retrier } from '../retry';
import { planBatches, type PartitionBatch, type PlanInput } from './batch-planner';
import { DefaultPartitioner } from './partitioners/default-partitioner';
import type { Partitioner } from './partitioners/partitioner';
import { RoundRobinPartitioner } from './partitioners/round-robin-partitioner';
import { ProduceSender, type ProducerRequestEvents } from './produce-sender';
import { normalizeAcks, resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './producer-options';
import type { Acks, ProducerBatch, ProducerRecord, RecordMetadata, TopicMessages } from './producer-types';

export interface ProducerEvents extends ConnectionEvents, ProducerRequestEvents {
  'producer.connect': Record<string, never>;
  'producer.disconnect': Record<string, never>;
}

export class Producer {
  private readonly options: ResolvedProducerOptions;
  private readonly events: InstrumentationEmitter<ProducerEvents>;
  private readonly cluster: Cluster;
  private readonly retrier: Retrier;
  private readonly partitioner: Partitioner;
  private readonly sender: ProduceSender;
  private connected = false;

  /** Use `strata.producer()`. */
  constructor(
    private readonly ctx: ClientContext,
    options?: ProducerOptions,
  ) {
    this.options = resolveProducerOptions(options, ctx.options.retry);
    this.events = new InstrumentationEmitter<ProducerEvents>(ctx.clock, ctx.logger);
    this.retrier = new Retrier(this.options.retry, ctx.clock);
    this.cluster = createCluster(ctx, {
      events: this.events,
      retry: this.options.retry,
      allowAutoTopicCreation: this.options.allowAutoTopicCreation,
      ...(this.options.maxInFlightRequests === null ? {} : { maxInFlightRequests: this.options.maxInFlightRequests }),
    });
    const p = this.options.partitioner;
    this.partitioner = p === 'default' ? new DefaultPartitioner() : p === 'round-robin' ? new RoundRobinPartitioner() : { partition: p };
    this.sender = new ProduceSender(this.cluster, this.retrier, ctx.clock, ctx.logger, this.events);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ProducerEvents & string>(type: K, listener: EventListener<ProducerEvents[K]>): Unsubscribe {
    return this.events.on(type, listener);
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
    this.connected = true;
    this.events.emit('producer.connect', {});
  }

  /** Closes the connections; sends still in flight reject with NETWORK_EXCEPTION. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    this.cluster.disconnect();
    this.events.emit('producer.disconnect', {});
  }

  /**
   * Sends messages to one topic. Resolves with one `{ topic, partition, offset }` per message, in
   * input order, once acknowledged as `acks` asks.
   */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (!record || typeof record !== 'object') throw new StrataArgumentError('send: expected { topic, messages }');
    return this.produce([{ topic: record.topic, messages: record.messages }], record.acks, record.timeout);
  }

  /** Sends messages to several topics in as few requests as possible; results in input order. */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (!batch || !Array.isArray(batch.topicMessages)) throw new StrataArgumentError('sendBatch: expected { topicMessages: [{ topic, messages }] }');
    return this.produce(batch.topicMessages, batch.acks, batch.timeout);
  }

  private async produce(topicMessages: readonly TopicMessages[], acksArg: Acks | undefined, timeoutArg: number | undefined): Promise<RecordMetadata[]> {
    if (!this.connected) throw new StrataClosedError('producer is not connected: call connect() first');
    const acks = acksArg === undefined ? this.options.acks : checkAcks(acksArg);
    const timeoutMs = timeoutArg ?? this.options.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new StrataArgumentError(`timeout must be an integer >= 0, got ${String(timeoutArg)}`);
    let total = 0;
    for (const tm of topicMessages) {
      const problem = typeof tm.topic === 'string' ? topicNameProblem(tm.topic) : 'topic must be a string';
      if (problem) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, problem);
      if (!Array.isArray(tm.messages)) throw new StrataArgumentError(`messages for topic "${tm.topic}" must be an array`);
      total += tm.messages.length;
    }
    const results = new Array<RecordMetadata>(total);
    if (total === 0) return results;

    let inputs = await this.metadataFor(topicMessages);
    const now = this.ctx.clock.now();
    let batches: PartitionBatch[];
    try {
      batches = planBatches(inputs, this.partitioner, now, this.maxBatchBytes());
    } catch (error) {
      if (!(error instanceof StrataError) || error.errorCode !== ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code) throw error;
      // A partition beyond the cached count: the topic may have grown since; look once more.
      for (const input of inputs) this.cluster.invalidate(input.topic);
      inputs = await this.metadataFor(topicMessages);
      batches = planBatches(inputs, this.partitioner, now, this.maxBatchBytes());
    }
    for (const input of inputs) this.partitioner.onSent?.(input.topic, input.metadata.partitions.length);
    await this.sender.send(batches, { acks, timeoutMs, requestTimeoutMs: this.ctx.options.requestTimeoutMs }, results);
    return results;
  }

  /** Metadata of each topic with messages, retried on retriable errors. */
  private metadataFor(topicMessages: readonly TopicMessages[]): Promise<PlanInput[]> {
    return this.retrier.run(
      async () => {
        const list: PlanInput[] = [];
        let position = 0;
        for (const tm of topicMessages) {
          if (tm.messages.length === 0) continue;
          list.push({ topic: tm.topic, messages: tm.messages, metadata: await this.cluster.topicMetadata(tm.topic), firstPosition: position });
          position += tm.messages.length;
        }
        return list;
      },
      {
        onRetry: (error, attempt, delayMs) => {
          const e = error instanceof Error ? error : new Error(String(error));
          this.ctx.logger.warn(`metadata for send failed, retrying in ${delayMs} ms: ${e.message}`);
          this.events.emit('producer.retry', { attempt, stage: 'metadata', partitions: 0, delayMs, error: e });
        },
      },
    );
  }

  private maxBatchBytes(): number {
    const limit = this.cluster.brokerLimits().maxBatchBytes;
    return limit > 0 ? limit : DEFAULT_MAX_BATCH_BYTES;
  }
}

function checkAcks(acks: Acks): -1 | 0 | 1 {
  if (acks !== -1 && acks !== 0 && acks !== 1 && acks !== 'all') throw new StrataArgumentError(`acks must be -1, 0, 1 or "all", got ${String(acks)}`);
  return normalizeAcks(acks);
}
