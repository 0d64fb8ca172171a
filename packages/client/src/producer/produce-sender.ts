/**
 * Sends PartitionBatches: routes each to its partition's leader, one Produce request per leader,
 * and retries the partitions that failed with a retriable error (after refreshing metadata when the
 * error says it is stale), with exponential backoff, up to the retry limit. Fills one
 * RecordMetadata per message.
 *
 * Without idempotence (issue "producer" adds it) a retried batch may be written twice if only the
 * response was lost. Stateless between calls; safe to use concurrently.
 */
import { errorFromCode, ERRORS, StrataError, type ProduceTopicInit } from '@strata/protocol';
import { sleep, type Clock } from '../clock';
import { isStaleMetadataError, type Cluster } from '../cluster/cluster';
import { isRetriable } from '../errors';
import type { Logger } from '../logger';
import type { EventSink } from '../network/connection-events';
import type { Retrier } from '../retry';
import type { PartitionBatch } from './batch-planner';
import type { RecordMetadata } from './producer-types';

export interface ProducerRequestEvents {
  /** A Produce request completed (or, with acks = 0, was written). */
  'producer.request': { brokerId: number; partitions: number; records: number; bytes: number; acks: number; durationMs: number };
  /**
   * A retriable failure: looking up metadata (`stage: 'metadata'`) or sending to some partitions
   * (`stage: 'produce'`) will be tried again after `delayMs`.
   */
  'producer.retry': { attempt: number; stage: 'metadata' | 'produce'; partitions: number; delayMs: number; error: Error };
}

interface Failure {
  batch: PartitionBatch;
  error: unknown;
}

export interface SendSettings {
  acks: -1 | 0 | 1;
  /** Broker-side acknowledgement timeout. */
  timeoutMs: number;
  /** Client-side request timeout (the connection's, before adding timeoutMs). */
  requestTimeoutMs: number;
}

export class ProduceSender {
  constructor(
    private readonly cluster: Cluster,
    private readonly retrier: Retrier,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly events: EventSink<ProducerRequestEvents>,
  ) {}

  async send(batches: readonly PartitionBatch[], settings: SendSettings, results: RecordMetadata[]): Promise<void> {
    let pending = batches;
    for (let attempt = 0; ; attempt++) {
      const failures = await this.sendOnce(pending, settings, results);
      if (failures.length === 0) return;
      for (const f of failures) if (isStaleMetadataError(f.error)) this.cluster.invalidate(f.batch.topic);
      const fatal = failures.find((f) => !isRetriable(f.error));
      if (fatal) throw describe(fatal);
      if (attempt >= this.retrier.options.retries) throw describe(failures[0]!);
      const delayMs = this.retrier.delay(attempt);
      const error = describe(failures[0]!);
      this.logger.warn(`produce to ${failures.length} partitions failed, retrying in ${delayMs} ms: ${error.message}`);
      this.events.emit('producer.retry', { attempt, stage: 'produce', partitions: failures.length, delayMs, error });
      await sleep(this.clock, delayMs);
      pending = failures.map((f) => f.batch);
    }
  }

  private async sendOnce(batches: readonly PartitionBatch[], settings: SendSettings, results: RecordMetadata[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    const byLeader = new Map<number, PartitionBatch[]>();
    for (const batch of batches) {
      try {
        const leader = await this.cluster.leaderIdFor(batch.topic, batch.partition);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(batch);
      } catch (error) {
        failures.push({ batch, error });
      }
    }
    await Promise.all([...byLeader].map(([leader, list]) => this.sendToLeader(leader, list, settings, results, failures)));
    return failures;
  }

  private async sendToLeader(leader: number, list: PartitionBatch[], settings: SendSettings, results: RecordMetadata[], failures: Failure[]): Promise<void> {
    const topics = new Map<string, Map<number, PartitionBatch>>();
    let bytes = 0;
    let records = 0;
    for (const b of list) {
      let t = topics.get(b.topic);
      if (!t) topics.set(b.topic, (t = new Map()));
      t.set(b.partition, b);
      bytes += b.records.length;
      records += b.positions.length;
    }
    const body = {
      acks: settings.acks,
      timeoutMs: settings.timeoutMs,
      topics: [...topics].map(([name, partitions]): ProduceTopicInit => ({
        name,
        partitions: [...partitions.values()].map((b) => ({ partition: b.partition, records: b.records })),
      })),
    };
    const started = this.clock.now();
    try {
      const broker = this.cluster.broker(leader);
      if (settings.acks === 0) {
        await broker.send('Produce', body);
        for (const b of list) for (const position of b.positions) results[position] = { topic: b.topic, partition: b.partition, offset: -1 };
      } else {
        const response = await broker.request('Produce', body, { timeoutMs: settings.requestTimeoutMs + settings.timeoutMs });
        for (const t of response.topics) {
          const sent = topics.get(t.name);
          for (const p of t.partitions) {
            const b = sent?.get(p.partition);
            if (!b) continue;
            sent!.delete(p.partition);
            if (p.errorCode !== 0) {
              failures.push({ batch: b, error: errorFromCode(p.errorCode, p.errorMessage || undefined) });
              continue;
            }
            const positions = b.positions;
            for (let j = 0; j < positions.length; j++) results[positions[j]!] = { topic: b.topic, partition: b.partition, offset: p.baseOffset + j };
          }
        }
        for (const sent of topics.values()) {
          for (const b of sent.values()) {
            failures.push({ batch: b, error: new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, 'the Produce response does not mention this partition') });
          }
        }
      }
    } catch (error) {
      for (const b of list) failures.push({ batch: b, error });
      return;
    }
    if (this.events.listening('producer.request')) {
      this.events.emit('producer.request', { brokerId: leader, partitions: list.length, records, bytes, acks: settings.acks, durationMs: this.clock.now() - started });
    }
  }
}

/** The failure's error, its message prefixed with the topic-partition when it is a StrataError. */
function describe(failure: Failure): Error {
  const { error, batch } = failure;
  // Broker errors (plain StrataErrors) get the partition in their message; subclasses such as
  // StrataConnectionError already say where they come from and keep their class.
  if (error instanceof StrataError && error.constructor === StrataError) {
    const prefix = `${batch.topic}-${batch.partition}`;
    if (error.message.startsWith(prefix)) return error;
    const copy = new StrataError(
      { name: error.code, code: error.errorCode, retriable: error.retriable, message: error.message },
      `${prefix}: ${error.message}`,
      { cause: error, retriable: error.retriable },
    );
    return copy;
  }
  return error instanceof Error ? error : new Error(String(error));
}
