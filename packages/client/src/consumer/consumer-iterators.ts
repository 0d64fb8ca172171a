/**
 * Pull-based consumption: `for await (const message of consumer)` and `consumer.batches()`.
 * Each next() hands out what was fetched, in offset order per partition; the fetcher only fetches
 * more while the buffer has room, so a slow loop body slows fetching (back-pressure). The position
 * of a partition advances when its message is handed out. Breaking out of the loop stops
 * consumption (the consumer stays connected and assigned; iterate or run() again to resume).
 *
 * next() calls are served one after another even if the caller does not await them.
 */
import { MessageBatch, type ConsumerMessage } from './consumer-message';
import { isCurrent, type DecodedData, type Delivery } from './delivery';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** Yields messages one by one. */
export class MessageIterator implements AsyncIterableIterator<ConsumerMessage> {
  private current: DecodedData | null = null;
  private index = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private finished = false;

  constructor(
    private readonly delivery: Delivery,
    /** False once the consumer stopped this iteration (stop(), disconnect(), another assign...). */
    private readonly isActive: () => boolean,
    private readonly onEnd: () => Promise<void>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ConsumerMessage, undefined>> {
    // Fast path while the current batch lasts and no earlier call is still waiting.
    if (this.queued === 0 && this.isActive()) {
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

  async return(): Promise<IteratorResult<ConsumerMessage, undefined>> {
    await this.finish();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<ConsumerMessage, undefined>> {
    await this.finish();
    throw error;
  }

  private take(): ConsumerMessage | undefined {
    const cur = this.current;
    if (!cur || this.index >= cur.messages.length || !isCurrent(cur.data)) return undefined;
    const message = cur.messages[this.index++]!;
    cur.data.state.position = this.index === cur.messages.length ? cur.nextOffset : message.offset + 1;
    return message;
  }

  private async slowNext(): Promise<IteratorResult<ConsumerMessage, undefined>> {
    for (;;) {
      if (this.finished || !this.isActive()) {
        await this.finish();
        return DONE;
      }
      const message = this.take();
      if (message) return { value: message, done: false };
      this.current = null;
      let next: DecodedData | undefined;
      try {
        next = await this.delivery.next();
      } catch (error) {
        await this.finish();
        throw error;
      }
      if (!next || !this.isActive()) {
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
    await this.onEnd();
  }
}

/** Yields the messages of one partition from one fetch at a time. */
export class BatchIterator implements AsyncIterableIterator<MessageBatch> {
  private chain: Promise<unknown> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly delivery: Delivery,
    /** False once the consumer stopped this iteration (stop(), disconnect(), another assign...). */
    private readonly isActive: () => boolean,
    private readonly onEnd: () => Promise<void>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<MessageBatch, undefined>> {
    const result = this.chain.then(() => this.slowNext());
    this.chain = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<MessageBatch, undefined>> {
    await this.finish();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<MessageBatch, undefined>> {
    await this.finish();
    throw error;
  }

  private async slowNext(): Promise<IteratorResult<MessageBatch, undefined>> {
    if (this.finished || !this.isActive()) {
      await this.finish();
      return DONE;
    }
    let next: DecodedData | undefined;
    try {
      next = await this.delivery.next();
    } catch (error) {
      await this.finish();
      throw error;
    }
    if (!next || !this.isActive()) {
      await this.finish();
      return DONE;
    }
    const { data, messages } = next;
    data.state.position = next.nextOffset;
    return { value: new MessageBatch(data.state.topic, data.state.partition, data.highWatermark, messages), done: false };
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.onEnd();
  }
}
