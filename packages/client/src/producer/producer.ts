/**
 * Producer: sends messages to topic partitions and resolves each send() with where its messages
 * were written, in input order, once acknowledged as `acks` asks.
 *
 * Pipeline, one way: send() -> MessageAppender (partition; size each record once; waits for
 * memory when the BufferPool is full) -> RecordAccumulator (per-partition batch queues; batches
 * grow with load up to batchSize) -> ProduceSender (adaptive batching: a leader with nothing
 * outstanding gets a request at once; one request per leader, retries, idempotence) -> SendCall
 * (one promise per send()). Only request completions flow back.
 *
 * Invariants: sends are accepted only between connect() and disconnect(); disconnect() flushes
 * first; the records of consecutive send() calls keep their order within each partition, across
 * retries; at most `bufferMemory` bytes of batches exist at once. An idempotent producer gets its
 * producer id in connect(). After a fatal error (INVALID_PRODUCER_EPOCH) every send fails.
 * Single-threaded (event loop).
 */
import { DEFAULT_MAX_BATCH_BYTES, ERRORS, StrataError, topicNameProblem } from '@strata/protocol';
import { createCluster, type ClientContext } from '../client-context';
import { COMPRESSION_IDS, defaultCodecs, unsupportedCodec, type CompressionCodec } from '../codecs/compression-codec';
import type { Cluster } from '../cluster/cluster';
import type { TopicMetadataEntry } from '../cluster/metadata-cache';
import { StrataArgumentError, StrataClosedError } from '../errors';
import { InstrumentationEmitter, type EventListener, type Unsubscribe } from '../instrumentation';
import type { ConnectionEvents } from '../network/connection-events';
import { Retrier } from '../retry';
import { BufferPool } from './buffer-pool';
import { MessageAppender } from './message-appender';
import { DefaultPartitioner } from './partitioners/default-partitioner';
import type { Partitioner } from './partitioners/partitioner';
import { RoundRobinPartitioner } from './partitioners/round-robin-partitioner';
import { ProduceSender, type ProducerRequestEvents } from './produce-sender';
import { ProducerIdentity } from './producer-identity';
import { normalizeAcks, resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './producer-options';
import type { Acks, ProducerBatch, ProducerRecord, RecordMetadata, TopicMessages } from './producer-types';
import { RecordAccumulator } from './record-accumulator';
import { SendCall } from './send-call';

export interface ProducerEvents extends ConnectionEvents, ProducerRequestEvents {
  'producer.connect': { producerId: number; producerEpoch: number };
  'producer.disconnect': Record<string, never>;
}

/** Gauges of a producer's state. */
export interface ProducerMetrics {
  /** Bytes of record batches held (waiting or in flight), at most `bufferMemory`. */
  bufferedBytes: number;
  /** Records waiting or in flight. */
  bufferedRecords: number;
  /** send() / sendBatch() calls not settled yet. */
  pendingSends: number;
  /** -1 when not idempotent or not connected. */
  producerId: number;
  producerEpoch: number;
}

export class Producer {
  private readonly options: ResolvedProducerOptions;
  private readonly events: InstrumentationEmitter<ProducerEvents>;
  private readonly cluster: Cluster;
  private readonly pool: BufferPool;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: ProduceSender;
  private readonly appender: MessageAppender;
  private readonly identity: ProducerIdentity | null;
  private readonly codec: CompressionCodec | null;
  private readonly pending = new Set<SendCall>();
  private readonly forget = (call: SendCall): void => void this.pending.delete(call);
  /** Topic names already checked (the check is a regular expression per send() otherwise). */
  private readonly validTopics = new Set<string>();
  private connected = false;
  private closing = false;

  /** Use `strata.producer()`. Invalid options throw StrataConfigError naming the option. */
  constructor(
    private readonly ctx: ClientContext,
    options?: ProducerOptions,
  ) {
    const o = (this.options = resolveProducerOptions(options, ctx.options.retry));
    const codecId = COMPRESSION_IDS[o.compression];
    const codecs = defaultCodecs(o.codecs, ctx.platformCodecs);
    this.codec = codecId === 0 ? null : (codecs.get(codecId) ?? null);
    if (codecId !== 0 && !this.codec) throw unsupportedCodec(codecId, codecs.names(), 'compress');
    this.events = new InstrumentationEmitter<ProducerEvents>(ctx.clock, ctx.logger);
    const retrier = new Retrier(o.retry, ctx.clock);
    // The sender enforces maxInFlightRequests per broker itself: connections stay unlimited so
    // that metadata and InitProducerId never queue behind Produce requests.
    this.cluster = createCluster(ctx, { events: this.events, retry: ctx.options.retry, allowAutoTopicCreation: o.allowAutoTopicCreation, maxInFlightRequests: null });
    this.identity = o.idempotent ? new ProducerIdentity(this.cluster) : null;
    const p = o.partitioner;
    const partitioner: Partitioner = p === 'default' ? new DefaultPartitioner() : p === 'round-robin' ? new RoundRobinPartitioner() : { partition: p };
    // One straight path, built downstream first: pool -> accumulator -> sender; the appender feeds them.
    this.pool = new BufferPool(o.bufferMemory, ctx.clock);
    this.accumulator = new RecordAccumulator(this.pool, { batchSize: o.batchSize, codec: codecId });
    this.sender = new ProduceSender({
      cluster: this.cluster,
      accumulator: this.accumulator,
      pool: this.pool,
      clock: ctx.clock,
      logger: ctx.logger,
      events: this.events,
      retrier,
      identity: this.identity,
      codec: this.codec,
      lingerMs: o.lingerMs,
      maxInFlightRequests: o.maxInFlightRequests,
      maxRequestBytes: o.maxRequestBytes,
      deliveryTimeoutMs: o.deliveryTimeoutMs,
      requestTimeoutMs: ctx.options.requestTimeoutMs,
    });
    this.appender = new MessageAppender({
      cluster: this.cluster,
      accumulator: this.accumulator,
      pool: this.pool,
      partitioner,
      clock: ctx.clock,
      retrier,
      events: this.events,
      maxBlockMs: o.maxBlockMs,
      allowAutoTopicCreation: o.allowAutoTopicCreation,
      maxBatchBytes: (meta) => this.maxBatchBytes(meta),
      sender: this.sender,
    });
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ProducerEvents & string>(type: K, listener: EventListener<ProducerEvents[K]>): Unsubscribe {
    return this.events.on(type, listener);
  }

  /**
   * Connects to a bootstrap broker and, when idempotent, gets a producer id. Fails with
   * UNSUPPORTED_COMPRESSION_TYPE when the chosen codec cannot load on this platform.
   */
  async connect(): Promise<void> {
    if (this.connected) return;
    await this.codec?.ready?.();
    await this.cluster.connect();
    try {
      if (this.identity && !this.identity.isSet) await new Retrier(this.ctx.options.retry, this.ctx.clock).run(() => this.identity!.init());
    } catch (error) {
      this.cluster.disconnect();
      throw error;
    }
    this.sender.start();
    this.connected = true;
    this.closing = false;
    this.events.emit('producer.connect', { producerId: this.identity?.producerId ?? -1, producerEpoch: this.identity?.producerEpoch ?? -1 });
  }

  /** Flushes (waits for every message sent so far to settle), then closes the connections. */
  async disconnect(): Promise<void> {
    if (!this.connected || this.closing) return;
    this.closing = true;
    await this.flush();
    this.connected = false;
    this.sender.stop();
    this.pool.abortWaiters(new StrataClosedError('the producer was disconnected'));
    this.cluster.disconnect();
    this.events.emit('producer.disconnect', {});
  }

  /**
   * Sends messages to one topic. Resolves with one `{ topic, partition, offset }` per message, in
   * input order, once acknowledged as `acks` asks. When some messages fail (too large, delivery
   * timeout...), rejects with StrataSendError listing them; the others were delivered.
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (!record || typeof record !== 'object') return Promise.reject(new StrataArgumentError('send: expected { topic, messages }'));
    return this.produce([record], record.acks, record.timeout);
  }

  /** Sends messages to several topics; results in input order, across topics. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (!batch || !Array.isArray(batch.topicMessages)) return Promise.reject(new StrataArgumentError('sendBatch: expected { topicMessages: [{ topic, messages }] }'));
    return this.produce(batch.topicMessages, batch.acks, batch.timeout);
  }

  /** Sends every batch now (ignoring lingerMs) and waits until every send() made so far settled. */
  async flush(): Promise<void> {
    const targets = [...this.pending];
    if (targets.length === 0) return;
    // Calls still handing messages over (waiting for metadata) complete their batches first.
    await this.appender.idle();
    this.sender.flushing++;
    this.sender.wake();
    try {
      await Promise.allSettled(targets.map((c) => c.promise));
    } finally {
      this.sender.flushing--;
    }
  }

  metrics(): ProducerMetrics {
    return {
      bufferedBytes: this.pool.used,
      bufferedRecords: this.accumulator.recordCount,
      pendingSends: this.pending.size,
      producerId: this.identity?.producerId ?? -1,
      producerEpoch: this.identity?.producerEpoch ?? -1,
    };
  }

  private produce(topicMessages: readonly TopicMessages[], acksArg: Acks | undefined, timeoutArg: number | undefined): Promise<RecordMetadata[]> {
    try {
      if (!this.connected || this.closing) throw new StrataClosedError(this.closing ? 'the producer is disconnecting' : 'producer is not connected: call connect() first');
      const fatal = this.sender.fatal;
      if (fatal) throw fatal;
      const acks = acksArg === undefined ? this.options.acks : checkAcks(acksArg);
      const timeoutMs = timeoutArg ?? this.options.timeoutMs;
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new StrataArgumentError(`timeout must be an integer >= 0, got ${String(timeoutArg)}`);
      let total = 0;
      for (const tm of topicMessages) {
        if (!tm || !this.validTopics.has(tm.topic)) this.checkTopic(tm);
        if (!Array.isArray(tm.messages)) throw new StrataArgumentError(`messages for topic "${tm.topic}" must be an array`);
        total += tm.messages.length;
      }
      if (total === 0) return Promise.resolve([]);
      const call = new SendCall(total);
      this.pending.add(call);
      call.onSettled = this.forget;
      this.appender.submit({
        call,
        list: topicMessages,
        acks,
        timeoutMs,
        topicIndex: 0,
        messageIndex: 0,
        position: 0,
        deadline: this.ctx.clock.now() + this.options.maxBlockMs,
        metadata: null,
      });
      return call.promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private checkTopic(tm: TopicMessages | null | undefined): void {
    const problem = tm && typeof tm.topic === 'string' ? topicNameProblem(tm.topic) : 'topic must be a string';
    if (problem) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, problem);
    if (this.validTopics.size >= 10_000) this.validTopics.clear(); // bounded: a producer writing to ever new topics
    this.validTopics.add(tm!.topic);
  }

  /** Largest batch the topic accepts: its max.message.bytes, else the broker's limit, within the frame limit. */
  private maxBatchBytes(meta: TopicMetadataEntry): number {
    const limit = meta.maxMessageBytes > 0 ? meta.maxMessageBytes : this.brokerBatchLimit();
    const frame = this.cluster.brokerLimits().maxFrameBytes;
    return frame > 0 ? Math.min(limit, frame - 4096) : limit;
  }

  private brokerBatchLimit(): number {
    const limit = this.cluster.brokerLimits().maxBatchBytes;
    return limit > 0 ? limit : DEFAULT_MAX_BATCH_BYTES;
  }
}

function checkAcks(acks: Acks): -1 | 0 | 1 {
  if (acks !== -1 && acks !== 0 && acks !== 1 && acks !== 'all') throw new StrataArgumentError(`acks must be -1, 0, 1 or "all", got ${String(acks)}`);
  return normalizeAcks(acks);
}
