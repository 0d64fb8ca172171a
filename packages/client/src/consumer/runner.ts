/**
 * The `run()` loop: hands each fetched partition batch to `eachBatch`, or its messages one by one to
 * `eachMessage`, awaiting the handler before moving on (so a partition is processed in offset order
 * and back-pressure reaches the fetcher). The position advances after each handled message (or
 * batch, or offset passed to resolveOffset).
 *
 * A handler that throws gets the same messages again (the partition rewinds to the first
 * unprocessed offset) after a backoff; after `retries` consecutive failures the consumer crashes.
 * Single instance per run() call.
 */
import { sleep, type Clock } from '../clock';
import { toError } from '../errors';
import type { Logger } from '../logger';
import type { EventSink } from '../network/connection-events';
import type { Retrier } from '../retry';
import { MessageBatch, type ConsumerMessage } from './consumer-message';
import { isCurrent, type DecodedData, type Delivery } from './delivery';
import type { PartitionState } from './subscription-state';

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: ConsumerMessage;
  /** Pauses this partition (its next messages are fetched again on resume); returns a resume function. */
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: MessageBatch;
  /** False once the consumer is stopping: finish quickly. */
  isRunning(): boolean;
  /** True when a seek, pause or reassignment made the rest of this batch obsolete. */
  isStale(): boolean;
  /** Marks messages up to `offset` as processed: if the handler then throws, they are not redelivered. */
  resolveOffset(offset: number): void;
  pause(): () => void;
}

export interface RunOptions {
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
}

export interface RunnerEvents {
  'consumer.start_batch_process': { topic: string; partition: number; highWatermark: number; offsetLag: number; batchSize: number; firstOffset: number; lastOffset: number };
  'consumer.end_batch_process': { topic: string; partition: number; highWatermark: number; offsetLag: number; batchSize: number; firstOffset: number; lastOffset: number; durationMs: number };
}

export interface RunnerConfig {
  delivery: Delivery;
  handlers: RunOptions;
  retrier: Retrier;
  clock: Clock;
  logger: Logger;
  events: EventSink<RunnerEvents>;
  pause: (state: PartitionState) => () => void;
  /** Called after a handler failure rewound a partition. */
  onRewind: () => void;
  onCrash: (error: Error) => void;
}

export class Runner {
  private running = true;
  private failures = 0;

  constructor(private readonly c: RunnerConfig) {}

  get isRunning(): boolean {
    return this.running;
  }

  stop(): void {
    this.running = false;
  }

  async loop(): Promise<void> {
    while (this.running) {
      let next;
      try {
        next = await this.c.delivery.next();
      } catch (error) {
        if (this.running) this.c.onCrash(toError(error));
        return;
      }
      if (!next || !this.running) return;
      const { data, messages } = next;
      const s = data.state;
      let resolved = -1;
      s.processing = true;
      try {
        if (this.c.handlers.eachBatch) {
          await this.handleBatch(next.data, messages, next.nextOffset, (offset) => {
            if (offset > resolved) resolved = offset;
          });
        } else {
          const eachMessage = this.c.handlers.eachMessage!;
          let i = 0;
          for (; i < messages.length; i++) {
            if (!this.running || !isCurrent(data) || s.paused) break;
            const message = messages[i]!;
            await eachMessage({ topic: s.topic, partition: s.partition, message, pause: () => this.c.pause(s) });
            resolved = message.offset;
            if (isCurrent(data)) s.position = message.offset + 1;
          }
          if (i === messages.length && isCurrent(data)) s.position = next.nextOffset;
        }
        this.failures = 0;
      } catch (error) {
        s.processing = false;
        s.rewindPending = false;
        if (isCurrent(data)) {
          if (resolved >= 0) s.position = resolved + 1;
          s.rewind();
          this.c.onRewind();
        }
        this.failures++;
        if (!this.running) return;
        if (this.failures > this.c.retrier.options.retries) {
          this.c.onCrash(toError(error));
          return;
        }
        const delayMs = this.c.retrier.delay(this.failures - 1);
        this.c.logger.warn(`handler failed on ${s.topic}-${s.partition} at offset ${s.position}; retrying in ${delayMs} ms`, { error: toError(error).message });
        await sleep(this.c.clock, delayMs);
        continue;
      }
      s.processing = false;
      if (s.rewindPending) {
        // Paused during the handler: what it processed counts; the rest is fetched again on resume.
        s.rewindPending = false;
        s.rewind();
        this.c.onRewind();
      }
    }
  }

  private async handleBatch(data: DecodedData['data'], messages: ConsumerMessage[], nextOffset: number, resolveOffset: (offset: number) => void): Promise<void> {
    const s = data.state;
    const batch = new MessageBatch(s.topic, s.partition, data.highWatermark, messages);
    const info = {
      topic: s.topic,
      partition: s.partition,
      highWatermark: data.highWatermark,
      offsetLag: batch.offsetLag(),
      batchSize: messages.length,
      firstOffset: messages[0]!.offset,
      lastOffset: messages[messages.length - 1]!.offset,
    };
    const started = this.c.clock.now();
    this.c.events.emit('consumer.start_batch_process', info);
    await this.c.handlers.eachBatch!({
      batch,
      isRunning: () => this.running,
      isStale: () => !isCurrent(data),
      resolveOffset,
      pause: () => this.c.pause(s),
    });
    this.c.events.emit('consumer.end_batch_process', { ...info, durationMs: this.c.clock.now() - started });
    if (isCurrent(data)) s.position = nextOffset;
  }
}

