/**
 * MessageAppender: hands the messages of send() calls to the accumulator, in call order.
 *
 * The fast path is synchronous: with the topic's metadata cached and room in the buffer, each
 * message is checked, partitioned and encoded straight into its partition's open batch, with no
 * promise or closure per message. When a call needs something it must wait for (topic metadata,
 * buffer memory), it continues asynchronously, and calls made meanwhile queue behind it, so the
 * records of consecutive send() calls keep their order in each partition. Waiting is bounded by
 * `maxBlockMs` (BUFFER_EXHAUSTED).
 *
 * The first step of the producer's one-way path (message -> partition -> batch -> request): each
 * record's headers are converted once and its size computed once, and every later decision (fits,
 * growth, limits) uses that size. A sticky partitioner hears from here when its partition needs a
 * new batch (Kafka's onNewBatch) and the record goes where it points then. The appender tells the
 * sender (downstream) that records went in; nothing calls back into it.
 *
 * A message that cannot go (bad key type, partition out of range, larger than the topic accepts)
 * fails alone; its call's other messages still go.
 * Single-threaded.
 */
import { BATCH_HEADER_SIZE, ERRORS, RecordBatchBuilder, StrataError, type RecordInput } from '@strata/protocol';
import type { Clock } from '../clock';
import type { Cluster } from '../cluster/cluster';
import type { TopicMetadataEntry } from '../cluster/metadata-cache';
import { StrataArgumentError, StrataBufferExhaustedError, StrataRecordTooLargeError, isRetriable } from '../errors';
import type { EventSink } from '../network/connection-events';
import type { Retrier } from '../retry';
import type { BufferPool } from './buffer-pool';
import { bytesProblem, toHeaderList } from './message-encoding';
import type { Partitioner, PartitionerArgs } from './partitioners/partitioner';
import type { ProducerRequestEvents } from './produce-sender';
import type { TopicMessages } from './producer-types';
import { PartitionQueue, type Placement, type RecordAccumulator } from './record-accumulator';
import { asStrataError } from './sender-errors';
import { SendCall } from './send-call';

/** One send() call being appended. */
export interface AppendJob {
  call: SendCall;
  list: readonly TopicMessages[];
  acks: -1 | 0 | 1;
  timeoutMs: number;
  /** Where appending stopped: topic, message within it, and the call position of its first message. */
  topicIndex: number;
  messageIndex: number;
  position: number;
  /** send() gives up waiting after this time. */
  deadline: number;
  /** Metadata fetched for this call (used even when metadataMaxAgeMs is 0). */
  metadata: Map<string, TopicMetadataEntry> | null;
}

type Need = { kind: 'metadata'; topic: string; refresh: boolean } | { kind: 'memory'; bytes: number; placement: Placement };

export interface AppenderConfig {
  cluster: Cluster;
  accumulator: RecordAccumulator;
  pool: BufferPool;
  partitioner: Partitioner;
  clock: Clock;
  retrier: Retrier;
  events: EventSink<ProducerRequestEvents>;
  maxBlockMs: number;
  allowAutoTopicCreation: boolean;
  /** Largest batch a topic accepts. */
  maxBatchBytes: (metadata: TopicMetadataEntry) => number;
  /** Where the batches go: told when records were appended (downstream, never called back). */
  sender: { wake(): void };
}

export class MessageAppender {
  /** Set while a call waits: later calls chain behind it. */
  private tail: Promise<void> | null = null;
  private readonly record: RecordInput = { key: null, value: null, headers: null, timestamp: 0 };
  private readonly args: PartitionerArgs = { topic: '', partitionCount: 0, message: { value: null } };
  /** Reused for every message (the appender runs one message at a time); copied when a record must wait. */
  private readonly placement: Placement;

  constructor(private readonly config: AppenderConfig) {
    this.placement = { queue: new PartitionQueue('', -1), record: this.record, size: 0, call: SendCall.none, position: 0, acks: -1, timeoutMs: 0, maxBatchBytes: 0 };
  }

  /** Resolves once every call submitted so far has handed all its messages over (or failed). */
  async idle(): Promise<void> {
    while (this.tail !== null) await this.tail;
  }

  /** Appends the job's messages now if nothing blocks, else queues it. */
  submit(job: AppendJob): void {
    if (this.tail === null) {
      const need = this.appendSync(job);
      if (need !== null) this.chain(() => this.continueAsync(job, need));
    } else {
      this.chain(() => this.continueAsync(job, null));
    }
    this.config.sender.wake();
  }

  private chain(next: () => Promise<void>): void {
    const tail: Promise<void> = (this.tail ?? Promise.resolve()).then(next).finally(() => {
      if (this.tail === tail) this.tail = null;
    });
    this.tail = tail;
  }

  private async continueAsync(job: AppendJob, first: Need | null): Promise<void> {
    try {
      let need = first ?? this.appendSync(job);
      while (need !== null) {
        await this.satisfy(job, need);
        need = this.appendSync(job);
      }
    } catch (error) {
      job.call.abort(job.position + job.messageIndex, asStrataError(error));
    }
    this.config.sender.wake();
  }

  /** Appends until done (null) or until it must wait for something. */
  private appendSync(job: AppendJob): Need | null {
    const { cluster, accumulator: acc, pool, partitioner, clock } = this.config;
    const { call, list } = job;
    const record = this.record;
    const args = this.args;
    const now = clock.now();
    const p = this.placement; // refilled for each message
    p.call = call;
    p.acks = job.acks;
    p.timeoutMs = job.timeoutMs;
    while (job.topicIndex < list.length) {
      const { topic, messages } = list[job.topicIndex]!;
      if (job.messageIndex < messages.length) {
        const meta = job.metadata?.get(topic) ?? cluster.cachedTopic(topic);
        if (!meta) return { kind: 'metadata', topic, refresh: false };
        const partitionCount = meta.partitions.length;
        const maxBatchBytes = this.config.maxBatchBytes(meta);
        args.topic = topic;
        args.partitionCount = partitionCount;
        for (; job.messageIndex < messages.length; job.messageIndex++) {
          const i = job.messageIndex;
          const position = job.position + i;
          const m = messages[i]!;
          if (m === null || typeof m !== 'object') {
            call.fail(position, 1, new StrataArgumentError(`message ${position} must be an object { key?, value, headers?, partition?, timestamp? }`));
            continue;
          }
          const problem = bytesProblem(m.key, 'key') ?? bytesProblem(m.value, 'value');
          if (problem !== null) {
            call.fail(position, 1, new StrataArgumentError(`message ${position}: ${problem}`));
            continue;
          }
          let headers;
          try {
            headers = toHeaderList(m.headers);
          } catch (error) {
            call.fail(position, 1, asStrataError(error));
            continue;
          }
          const explicit = m.partition;
          let partition: number;
          if (explicit === undefined) {
            args.message = m;
            partition = partitioner.partition(args);
          } else partition = explicit;
          if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
            // The topic may have grown since its metadata was cached: look once more per call.
            if (explicit !== undefined && Number.isInteger(explicit) && explicit >= partitionCount && !job.metadata?.has(topic)) {
              return { kind: 'metadata', topic, refresh: true };
            }
            const source = explicit === undefined ? 'the partitioner returned' : 'message.partition is';
            call.fail(position, 1, new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" has partitions 0-${partitionCount - 1}, but for message ${position} ${source} ${String(partition)}`));
            continue;
          }
          record.key = m.key ?? null;
          record.value = m.value ?? null;
          record.headers = headers;
          record.timestamp = m.timestamp ?? now;
          // The record's size, once: every later step (fits, growth, limits) uses it.
          const size = RecordBatchBuilder.estimateRecordSize(record);
          if (acc.tooLarge(size, maxBatchBytes)) {
            call.fail(position, 1, tooLarge(topic, position, size, maxBatchBytes, 'batch'));
            continue;
          }
          p.queue = acc.queue(topic, partition);
          p.size = size;
          p.position = position;
          p.maxBatchBytes = maxBatchBytes;
          if (acc.tryAppend(p, now)) continue;
          // A new batch is needed. A sticky partitioner moves on when its partition's batch closed
          // (Kafka's onNewBatch), and the record goes where it points now.
          if (explicit === undefined && (m.key === null || m.key === undefined) && p.queue.opened > 0 && partitioner.onBatchClosed) {
            partitioner.onBatchClosed(topic, partition);
            const moved = partitioner.partition(args);
            if (moved !== partition && Number.isInteger(moved) && moved >= 0 && moved < partitionCount) {
              p.queue = acc.queue(topic, moved);
              if (acc.tryAppend(p, now)) continue;
            }
          }
          const bytes = acc.newBatchBytes(size, maxBatchBytes);
          if (bytes > pool.total) {
            call.fail(position, 1, tooLarge(topic, position, size, pool.total, 'buffer'));
            continue;
          }
          if (!pool.tryAllocate(bytes)) {
            // Waiting: the placement is kept as it is (a copy: the hot path reuses its objects).
            return { kind: 'memory', bytes, placement: { ...p, record: { ...record } } };
          }
          acc.appendToNew(p, bytes, now);
        }
      }
      job.position += messages.length;
      job.topicIndex++;
      job.messageIndex = 0;
    }
    return null;
  }

  private async satisfy(job: AppendJob, need: Need): Promise<void> {
    const { clock } = this.config;
    if (need.kind === 'metadata') {
      const meta = await this.metadata(need.topic, need.refresh, job.deadline);
      (job.metadata ??= new Map()).set(need.topic, meta);
      return;
    }
    const remaining = job.deadline - clock.now();
    if (remaining <= 0) throw new StrataBufferExhaustedError(`the producer buffer stayed full for maxBlockMs (${this.config.maxBlockMs} ms)`, this.config.maxBlockMs);
    const allocated = this.config.pool.allocate(need.bytes, remaining, this.config.maxBlockMs);
    this.config.sender.wake(); // a send() waits for memory now: the sender sends whatever it can
    await allocated;
    // The record that asked for the memory goes in now, where it was placed.
    this.config.accumulator.appendToNew(need.placement, need.bytes, clock.now());
    job.messageIndex++;
    this.config.sender.wake();
  }

  /** Topic metadata, retried until `deadline`; an unknown topic gets a clear error. */
  private async metadata(topic: string, refresh: boolean, deadline: number): Promise<TopicMetadataEntry> {
    const { cluster, clock, retrier, events } = this.config;
    if (refresh) cluster.invalidate(topic);
    try {
      return await retrier.run(() => cluster.topicMetadata(topic), {
        shouldRetry: (error) => isRetriable(error) && clock.now() < deadline,
        onRetry: (error, attempt, delayMs) => events.emit('producer.retry', { attempt, stage: 'metadata', partitions: 0, delayMs, error: asStrataError(error) }),
      });
    } catch (error) {
      const e = asStrataError(error);
      if (e.errorCode !== ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code) throw e;
      const why = this.config.allowAutoTopicCreation
        ? 'and the broker did not create it (its auto.create.topics.enable is off)'
        : '(the producer has allowAutoTopicCreation: false)';
      throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" does not exist ${why}: create it first`, { cause: e });
    }
  }
}

function tooLarge(topic: string, position: number, recordSize: number, limit: number, what: 'batch' | 'buffer'): StrataRecordTooLargeError {
  const size = BATCH_HEADER_SIZE + recordSize;
  if (what === 'batch') {
    return new StrataRecordTooLargeError(
      `message ${position} for topic "${topic}" takes ${size} bytes in a batch; the topic accepts record batches of at most ${limit} bytes (max.message.bytes)`,
      size,
      limit,
    );
  }
  return new StrataRecordTooLargeError(`message ${position} for topic "${topic}" takes ${size} bytes, more than the whole producer buffer (bufferMemory ${limit})`, size, limit);
}
