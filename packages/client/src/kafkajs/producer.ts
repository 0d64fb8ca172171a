/**
 * KafkaJS's Producer over the SDK's: `send({ topic, messages, acks, timeout, compression })` and
 * `sendBatch({ topicMessages, ... })` resolve with one RecordMetadata per topic-partition written
 * (`{ topicName, partition, errorCode: 0, baseOffset, logAppendTime: '-1' }`, offsets as strings;
 * `[]` with acks 0), as KafkaJS's do.
 *
 * KafkaJS chooses compression per send(), the SDK per producer: this layer keeps one SDK producer
 * per codec used, created (and connected) on the first send with that codec; sends that use the same
 * codec keep their order per partition, as do sends awaited one after the other.
 * Transactions are refused (KafkaJSNotImplemented). Single-threaded.
 */
import type { Producer as StrataProducer } from '../producer/producer';
import type { ProducerOptions } from '../producer/producer-options';
import type { Acks, ProducerMessage, RecordMetadata as StrataRecordMetadata, TopicMessages as StrataTopicMessages } from '../producer/producer-types';
import type { CompressionName } from '../codecs/compression-codec';
import type { Strata } from '../index';
import { compressionName, registeredCodecs, type CompressionTypes } from './compression';
import { asKafkaJS, invalidOption, notSupported } from './errors';
import { EventRouter, networkRoutes, strataOn, nullPayload, ProducerEvents, QUEUE_SIZE, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './events';
import type { Logger } from './logger';
import { toProducerMessage, type Message } from './messages';
import { checkKeys, refuse, toStrataRetry, type RetryOptions } from './options';
import { toStrataPartitioner, type ICustomPartitioner } from './partitioners';

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  /** Default: on (KafkaJS: off) unless maxInFlightRequests > 5: retries never duplicate. */
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeout?: number;
  maxInFlightRequests?: number;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
  topicMessages?: TopicMessages[];
}

export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
}

const CONFIG_KEYS = ['createPartitioner', 'retry', 'metadataMaxAge', 'allowAutoTopicCreation', 'idempotent', 'transactionalId', 'transactionTimeout', 'maxInFlightRequests'] as const;
const RECORD_KEYS = ['topic', 'messages', 'acks', 'timeout', 'compression'] as const;
const BATCH_KEYS = ['topicMessages', 'acks', 'timeout', 'compression'] as const;

/** What the Kafka object gives its components. */
export interface ComponentContext {
  /** A new SDK client for one component, with these client-level overrides. */
  strata(overrides: { metadataMaxAgeMs?: number; maxInFlightRequests?: number | null; namespace: string }): Strata;
  logger: Logger;
  clientId: string;
}

export class Producer {
  readonly events = ProducerEvents;
  private readonly strata: Strata;
  private readonly options: ProducerOptions;
  private readonly producers = new Map<CompressionName, StrataProducer>();
  private readonly router: EventRouter;
  private readonly originals = new WeakMap<ProducerMessage, Message>();
  private connected = false;

  constructor(
    private readonly ctx: ComponentContext,
    config: ProducerConfig = {},
  ) {
    checkKeys(config, CONFIG_KEYS, 'producer');
    refuse(config, { transactionalId: 'Strata has no transactions yet', transactionTimeout: 'Strata has no transactions yet' }, 'producer');
    const max = config.maxInFlightRequests;
    const options: ProducerOptions = { partitioner: toStrataPartitioner(config.createPartitioner, this.originals) };
    const retry = toStrataRetry(config.retry, 'producer', false);
    if (retry) options.retry = retry;
    if (config.allowAutoTopicCreation !== undefined) options.allowAutoTopicCreation = config.allowAutoTopicCreation;
    if (max !== undefined && max !== null) options.maxInFlightRequests = max;
    // Idempotence needs at most 5 requests in flight; KafkaJS's default (no limit) maps to 5.
    options.idempotent = config.idempotent ?? !(max !== undefined && max !== null && max > 5);
    this.options = options;
    this.strata = ctx.strata({ ...(config.metadataMaxAge !== undefined ? { metadataMaxAgeMs: config.metadataMaxAge } : {}), namespace: 'Producer' });
    this.router = new EventRouter(ProducerEvents, {
      CONNECT: { from: 'producer.connect', payload: nullPayload },
      DISCONNECT: { from: 'producer.disconnect', payload: nullPayload },
      ...networkRoutes(ctx.clientId),
      REQUEST_QUEUE_SIZE: QUEUE_SIZE,
    });
    // Validates the options now (KafkaJS programs expect bad options to throw here, not at connect).
    this.producerFor('none');
  }

  async connect(): Promise<void> {
    await asKafkaJS(async () => {
      for (const p of this.producers.values()) await p.connect();
      this.connected = true;
    });
  }

  /** Flushes and closes every connection. */
  async disconnect(): Promise<void> {
    this.connected = false;
    await asKafkaJS(async () => {
      await Promise.all([...this.producers.values()].map((p) => p.disconnect()));
    });
  }

  isIdempotent(): boolean {
    return this.options.idempotent === true;
  }

  logger(): Logger {
    return this.ctx.logger;
  }

  on(eventName: string, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<string> {
    return this.router.on(eventName, listener);
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return asKafkaJS(async () => {
      if (!record || typeof record !== 'object') throw invalidOption('send', 'expected { topic, messages, acks?, timeout?, compression? }');
      checkKeys(record, RECORD_KEYS, 'send');
      return this.produce([{ topic: record.topic, messages: record.messages }], record, 'send');
    });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return asKafkaJS(async () => {
      if (!batch || typeof batch !== 'object') throw invalidOption('sendBatch', 'expected { topicMessages, acks?, timeout?, compression? }');
      checkKeys(batch, BATCH_KEYS, 'sendBatch');
      const list = batch.topicMessages ?? [];
      if (!Array.isArray(list)) throw invalidOption('sendBatch.topicMessages', 'expected an array of { topic, messages }');
      list.forEach((tm, i) => checkKeys(tm, ['topic', 'messages'], `sendBatch.topicMessages[${i}]`));
      return this.produce(list, batch, 'sendBatch');
    });
  }

  /** Transactions do not exist in Strata yet. */
  transaction(): Promise<never> {
    return Promise.reject(notSupported('producer.transaction()', 'Strata has no transactions yet'));
  }

  private async produce(list: readonly TopicMessages[], args: { acks?: number; timeout?: number; compression?: CompressionTypes }, where: string): Promise<RecordMetadata[]> {
    const acks = toAcks(args.acks, `${where}.acks`);
    const producer = this.producerFor(compressionName(args.compression, `${where}.compression`));
    if (this.connected) await producer.connect(); // no-op once connected
    const topicMessages: StrataTopicMessages[] = list.map((tm, t) => {
      if (!Array.isArray(tm.messages)) throw invalidOption(`${where}.messages`, `expected an array of messages for topic "${tm.topic}"`);
      return {
        topic: tm.topic,
        messages: tm.messages.map((m, i) => {
          const converted = toProducerMessage(m, `${where}${list.length > 1 ? `.topicMessages[${t}]` : ''}.messages[${i}]`);
          this.originals.set(converted, m);
          return converted;
        }),
      };
    });
    const results = await producer.sendBatch({ topicMessages, ...(acks !== undefined ? { acks } : {}), ...(args.timeout !== undefined ? { timeout: args.timeout } : {}) });
    return acks === 0 ? [] : byPartition(results);
  }

  private producerFor(compression: CompressionName): StrataProducer {
    let p = this.producers.get(compression);
    if (!p) {
      p = this.strata.producer({ ...this.options, compression, codecs: registeredCodecs() });
      this.producers.set(compression, p);
      // Listeners follow every SDK producer of this KafkaJS producer.
      const all = [...this.producers.values()].map(strataOn);
      this.router.bind((type, listener) => {
        const offs = all.map((on) => on(type, listener));
        return () => offs.forEach((off) => off());
      });
    }
    return p;
  }
}

function toAcks(acks: number | undefined, option: string): Acks | undefined {
  if (acks === undefined || acks === null) return undefined;
  if (acks === -1 || acks === 0 || acks === 1) return acks;
  throw invalidOption(option, `expected -1 (all), 0 or 1, got ${JSON.stringify(acks)}`);
}

/** One entry per topic-partition, in order of first appearance, with the partition's first offset. */
function byPartition(results: readonly StrataRecordMetadata[]): RecordMetadata[] {
  const out = new Map<string, { topicName: string; partition: number; baseOffset: number }>();
  for (const r of results) {
    const key = `${r.topic}\u0000${r.partition}`;
    const e = out.get(key);
    if (!e) out.set(key, { topicName: r.topic, partition: r.partition, baseOffset: r.offset });
    else if (r.offset < e.baseOffset) e.baseOffset = r.offset;
  }
  return [...out.values()].map((e) => ({ topicName: e.topicName, partition: e.partition, errorCode: 0, baseOffset: String(e.baseOffset), logAppendTime: '-1' }));
}
