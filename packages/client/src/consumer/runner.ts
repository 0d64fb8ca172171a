/**
 * The `run()` loop: hands each fetched partition chunk to `eachBatch`, or its messages one by one
 * to `eachMessage`, awaiting the handler before moving on.
 *
 * With `partitionsConsumedConcurrently` = N, N workers take chunks from the Delivery in turn (one
 * at a time, so chunks leave the buffer in order) and process them concurrently; a chunk whose
 * partition another worker is processing waits for it (a per-partition chain), so each partition is
 * still processed in offset order, by one handler call at a time. Each worker holds at most one
 * chunk: back-pressure still reaches the fetcher.
 *
 * The position (and the committable offset) of a partition advances after each handled message
 * (or batch, or offset passed to resolveOffset). A handler that throws gets the same messages
 * again: the partition rewinds to the first unprocessed offset and its fetching backs off, while
 * other partitions go on; after `retries` consecutive failures of one partition the consumer crashes.
 * One instance per run() call; single-threaded.
 */
import { toError } from '../errors';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { EventSink } from '../network/connection-events';
import type { Retrier } from '../retry';
import { MessageBatch, type ConsumerMessage } from './consumer-message';
import type { ConsumptionTracker } from './consumption-tracker';
import { isCurrent, isDeliverable, type DecodedData, type Delivery } from './delivery';
import type { PartitionState } from './subscription-state';

export interface EachMessagePayload<B extends Uint8Array = Uint8Array> {
  topic: string;
  partition: number;
  message: ConsumerMessage<B>;
  /** Pauses this partition (its next messages are fetched again on resume); returns a resume function. */
  pause(): () => void;
}

export interface EachBatchPayload<B extends Uint8Array = Uint8Array> {
  batch: MessageBatch<B>;
  /** False once the consumer is stopping: finish quickly. */
  isRunning(): boolean;
  /** True when a seek, pause, reassignment or revocation made the rest of this batch obsolete. */
  isStale(): boolean;
  /** Marks messages up to `offset` as processed: if the handler then throws, they are not redelivered. */
  resolveOffset(offset: number): void;
  pause(): () => void;
}

export interface RunOptions<B extends Uint8Array = Uint8Array> {
  eachMessage?: (payload: EachMessagePayload<B>) => Promise<void> | void;
  eachBatch?: (payload: EachBatchPayload<B>) => Promise<void> | void;
  /**
   * How many partitions are processed at the same time (each still in offset order, one handler
   * call at a time per partition).
   * @default 1
   */
  partitionsConsumedConcurrently?: number;
}

/** Emitted around each chunk of one partition's messages that run() hands to eachBatch, or to eachMessage one by one. */
export interface RunnerEvents {
  'consumer.start_batch_process': { topic: string; partition: number; highWatermark: number; offsetLag: number; batchSize: number; firstOffset: number; lastOffset: number };
  'consumer.end_batch_process': { topic: string; partition: number; highWatermark: number; offsetLag: number; batchSize: number; firstOffset: number; lastOffset: number; durationMs: number };
}

export interface RunnerConfig<B extends Uint8Array> {
  delivery: Delivery<B>;
  handlers: RunOptions<B>;
  tracker: ConsumptionTracker;
  retrier: Retrier;
  clock: Clock;
  logger: Logger;
  events: EventSink<RunnerEvents>;
  pause: (state: PartitionState) => () => void;
  /** Called after a handler failure rewound a partition (with a fetch backoff). */
  onRewind: () => void;
  onCrash: (error: Error) => void;
}

export class Runner<B extends Uint8Array = Uint8Array> {
  private running = true;
  /** Consecutive handler failures per partition. */
  private readonly failures = new Map<PartitionState, number>();
  /** Serializes Delivery.next() calls of the workers. */
  private taking: Promise<unknown> = Promise.resolve();
  /** Per partition, the end of the chain of chunks waiting for or being processed. */
  private readonly tails = new Map<PartitionState, Promise<void>>();

  constructor(private readonly c: RunnerConfig<B>) {}

  get isRunning(): boolean {
    return this.running;
  }

  stop(): void {
    this.running = false;
  }

  /** Runs the workers until stop() or a crash. */
  async loop(): Promise<void> {
    const workers = Math.max(1, this.c.handlers.partitionsConsumedConcurrently ?? 1);
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
  }

  private async worker(): Promise<void> {
    while (this.running) {
      let next: DecodedData<B> | undefined;
      try {
        next = await this.take();
      } catch (error) {
        if (this.running) this.c.onCrash(toError(error));
        return;
      }
      if (!next || !this.running) return;
      const s = next.data.state;
      const previous = this.tails.get(s);
      let done!: () => void;
      const mine = new Promise<void>((resolve) => (done = resolve));
      this.tails.set(s, mine);
      try {
        if (previous) await previous;
        if (this.running) await this.process(next);
      } finally {
        if (this.tails.get(s) === mine) this.tails.delete(s);
        done();
      }
    }
  }

  private take(): Promise<DecodedData<B> | undefined> {
    const result = this.taking.then(() => (this.running ? this.c.delivery.next(() => this.running) : undefined));
    this.taking = result.catch(() => undefined);
    return result;
  }

  private async process(next: DecodedData<B>): Promise<void> {
    const { data, messages } = next;
    const s = data.state;
    if (!isDeliverable(data)) return; // went stale while waiting for its partition's turn
    let resolved = -1;
    const { tracker } = this.c;
    tracker.hold(s);
    try {
      if (this.c.handlers.eachBatch) {
        await this.handleBatch(next, (offset) => {
          if (offset > resolved) resolved = offset;
        });
      } else {
        const eachMessage = this.c.handlers.eachMessage!;
        const info = this.batchInfo(next);
        const started = this.c.clock.now();
        this.c.events.emit('consumer.start_batch_process', info);
        let i = 0;
        for (; i < messages.length; i++) {
          if (!this.running || !isCurrent(data) || s.paused || s.revoking) break;
          const message = messages[i]!;
          await eachMessage({ topic: s.topic, partition: s.partition, message, pause: () => this.c.pause(s) });
          resolved = message.offset;
          if (isCurrent(data)) s.processed(message.offset + 1);
          tracker.progressed(1);
        }
        if (i === messages.length && isCurrent(data)) s.processed(next.nextOffset);
        this.c.events.emit('consumer.end_batch_process', { ...info, durationMs: this.c.clock.now() - started });
      }
      this.failures.delete(s);
    } catch (error) {
      s.rewindPending = false;
      if (isCurrent(data)) {
        if (resolved >= 0) s.processed(resolved + 1);
        s.rewind();
      }
      const failures = (this.failures.get(s) ?? 0) + 1;
      this.failures.set(s, failures);
      if (!this.running) return;
      if (failures > this.c.retrier.options.retries) {
        this.c.onCrash(toError(error));
        return;
      }
      const delayMs = this.c.retrier.delay(failures - 1);
      s.backoffUntil = Math.max(s.backoffUntil, this.c.clock.now() + delayMs);
      this.c.logger.warn(`handler failed on ${s.topic}-${s.partition} at offset ${s.position}; retrying in ${delayMs} ms`, { error: toError(error).message });
      this.c.onRewind();
    } finally {
      tracker.release(s);
    }
  }

  /** The payload of the batch events for a chunk (emitted around eachBatch, and around the eachMessage calls of a chunk). */
  private batchInfo(next: DecodedData<B>): RunnerEvents['consumer.start_batch_process'] {
    const { data, messages } = next;
    const s = data.state;
    const lastOffset = messages[messages.length - 1]!.offset;
    return {
      topic: s.topic,
      partition: s.partition,
      highWatermark: data.highWatermark,
      offsetLag: Math.max(0, data.highWatermark - lastOffset - 1),
      batchSize: messages.length,
      firstOffset: messages[0]!.offset,
      lastOffset,
    };
  }

  /**
   * Calls eachBatch. When it returns, the whole batch counts as processed, unless the handler saw
   * isStale() or !isRunning(): then it may have stopped early, and only what it resolved counts.
   */
  private async handleBatch(next: DecodedData<B>, resolveOffset: (offset: number) => void): Promise<void> {
    const { data, messages } = next;
    const s = data.state;
    const batch = new MessageBatch(s.topic, s.partition, data.highWatermark, messages);
    const info = this.batchInfo(next);
    const started = this.c.clock.now();
    this.c.events.emit('consumer.start_batch_process', info);
    let toldToStop = false;
    let resolved = -1;
    await this.c.handlers.eachBatch!({
      batch,
      isRunning: () => {
        if (!this.running) toldToStop = true;
        return this.running;
      },
      isStale: () => {
        const stale = !isDeliverable(data);
        if (stale) toldToStop = true;
        return stale;
      },
      resolveOffset: (offset) => {
        if (offset > resolved) resolved = offset;
        resolveOffset(offset);
      },
      pause: () => this.c.pause(s),
    });
    this.c.events.emit('consumer.end_batch_process', { ...info, durationMs: this.c.clock.now() - started });
    if (isCurrent(data)) {
      if (!toldToStop) s.processed(next.nextOffset);
      else if (resolved >= 0) s.processed(resolved + 1);
    }
    this.c.tracker.progressed(messages.length);
  }
}
