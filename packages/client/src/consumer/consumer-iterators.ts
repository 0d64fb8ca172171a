/**
 * Pull-based consumption: `for await (const message of consumer)` and `consumer.batches()`.
 * Each next() hands out what was fetched, in offset order per partition; the fetcher only fetches
 * more while the buffer has room, so a slow loop body slows fetching (back-pressure). The position
 * of a partition advances when its message is handed out; the message (or batch) counts as
 * processed (committable) when the loop asks for the next one. Leaving the loop does not count the
 * one in hand as processed: the loop cannot tell a `break` after finishing it from an exception
 * thrown while processing it. Breaking out of the loop stops consumption.
 *
 * next() calls are served one after another even if the caller does not await them.
 */
import { MessageBatch, type ConsumerMessage } from './consumer-message';
import type { ConsumptionTracker } from './consumption-tracker';
import { isDeliverable, type DecodedData, type Delivery } from './delivery';
import type { PartitionState } from './subscription-state';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export interface IteratorContext<B extends Uint8Array> {
  delivery: Delivery<B>;
  tracker: ConsumptionTracker;
  /** False once the consumer stopped this iteration (stop(), disconnect(), another assign...). */
  isActive: () => boolean;
  /** Ends the iteration's consumption. */
  onEnd: () => Promise<void>;
}

/**
 * What the application holds between two next() calls: the partition of the last message or batch
 * handed out, kept `processing` (a revocation waits for it), and the position it becomes
 * committable at once the application asks for more. A seek meanwhile (epoch changed) wins.
 * One per iterator; single-threaded.
 */
class InHand {
  private state: PartitionState | null = null;
  private epoch = 0;
  private position = 0;

  constructor(private readonly tracker: ConsumptionTracker) {}

  hold(state: PartitionState, position: number): void {
    this.finish();
    this.state = state;
    this.epoch = state.epoch;
    this.position = position;
    this.tracker.hold(state);
  }

  /** The application asked for more: what it held is processed. */
  finish(): void {
    const s = this.state;
    if (!s) return;
    this.state = null;
    if (s.epoch === this.epoch) s.committable = this.position;
    this.tracker.release(s);
  }

  /** The loop ended: what it held is released, not processed. */
  drop(): void {
    const s = this.state;
    if (!s) return;
    this.state = null;
    this.tracker.release(s);
  }
}

/** Yields messages one by one. */
export class MessageIterator<B extends Uint8Array = Uint8Array> implements AsyncIterableIterator<ConsumerMessage<B>> {
  private current: DecodedData<B> | null = null;
  private index = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private finished = false;
  private readonly inHand: InHand;

  constructor(private readonly c: IteratorContext<B>) {
    this.inHand = new InHand(c.tracker);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ConsumerMessage<B>, undefined>> {
    // Fast path while the current batch lasts and no earlier call is still waiting.
    if (this.queued === 0 && this.c.isActive()) {
      const fast = this.take();
      if (fast) return Promise.resolve({ value: fast, done: false });
    }
    this.queued++;
    const result = this.chain.then(() => this.slowNext()).finally(() => {
      this.queued--;
    });
    this.chain = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<ConsumerMessage<B>, undefined>> {
    await this.finish();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<ConsumerMessage<B>, undefined>> {
    await this.finish();
    throw error;
  }

  private take(): ConsumerMessage<B> | undefined {
    this.inHand.finish();
    const cur = this.current;
    if (!cur || this.index >= cur.messages.length || !isDeliverable(cur.data)) return undefined;
    const message = cur.messages[this.index++]!;
    const s = cur.data.state;
    const position = this.index === cur.messages.length ? cur.nextOffset : message.offset + 1;
    s.position = position;
    this.inHand.hold(s, position);
    this.c.tracker.progressed(1);
    return message;
  }

  private async slowNext(): Promise<IteratorResult<ConsumerMessage<B>, undefined>> {
    for (;;) {
      if (this.finished || !this.c.isActive()) {
        await this.finish();
        return DONE;
      }
      const message = this.take();
      if (message) return { value: message, done: false };
      this.current = null;
      let next: DecodedData<B> | undefined;
      try {
        next = await this.c.delivery.next(this.c.isActive);
      } catch (error) {
        await this.finish();
        throw error;
      }
      if (!next || !this.c.isActive()) {
        await this.finish();
        return DONE;
      }
      this.current = next;
      this.index = 0;
    }
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.current = null;
    this.inHand.drop();
    await this.c.onEnd();
  }
}

/** Yields the messages of one partition from one fetch at a time. */
export class BatchIterator<B extends Uint8Array = Uint8Array> implements AsyncIterableIterator<MessageBatch<B>> {
  private chain: Promise<unknown> = Promise.resolve();
  private finished = false;
  private readonly inHand: InHand;

  constructor(private readonly c: IteratorContext<B>) {
    this.inHand = new InHand(c.tracker);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<MessageBatch<B>, undefined>> {
    this.inHand.finish();
    const result = this.chain.then(() => this.slowNext());
    this.chain = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<MessageBatch<B>, undefined>> {
    await this.finish();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<MessageBatch<B>, undefined>> {
    await this.finish();
    throw error;
  }

  private async slowNext(): Promise<IteratorResult<MessageBatch<B>, undefined>> {
    if (this.finished || !this.c.isActive()) {
      await this.finish();
      return DONE;
    }
    let next: DecodedData<B> | undefined;
    try {
      next = await this.c.delivery.next(this.c.isActive);
    } catch (error) {
      await this.finish();
      throw error;
    }
    if (!next || !this.c.isActive()) {
      await this.finish();
      return DONE;
    }
    const { data, messages } = next;
    data.state.position = next.nextOffset;
    this.inHand.hold(data.state, next.nextOffset);
    this.c.tracker.progressed(messages.length);
    return { value: new MessageBatch(data.state.topic, data.state.partition, data.highWatermark, messages), done: false };
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.inHand.drop();
    await this.c.onEnd();
  }
}
