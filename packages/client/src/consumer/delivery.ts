/**
 * The application side of the FetchBuffer, shared by the run loop and the iterators: takes fetched
 * data, drops what went stale (seek, pause, reassignment, revocation since it was fetched), and
 * decodes the rest a chunk of record batches at a time (at least CHUNK_MESSAGES messages, whole
 * batches), so that a large fetch never turns into a large number of live objects at once.
 *
 * Each call belongs to one consumption (a run() or an iteration), whose `active` check is asked
 * after every await: once the consumption ended, next() returns undefined instead of taking data
 * (or waiting for it) on behalf of a consumption that no longer exists.
 *
 * Long stretches of buffered data are decoded without waiting for I/O, so every YIELD_EVERY_MS
 * of such a stretch next() lets the event loop run timers (a group member's heartbeat) before going
 * on; waiting for data counts as a turn of the event loop, so a consumer that keeps up with its
 * records never yields (a yield costs a record at least a millisecond).
 * One user at a time (calls are serialized by the run loop or the iterator); reset() when
 * consumption stops.
 */
import type { BatchView } from '@strata/protocol';
import type { Clock } from '../clock';
import type { ConsumerMessage } from './consumer-message';
import type { ConsumptionTracker } from './consumption-tracker';
import type { FetchBuffer, FetchedData } from './fetch-buffer';
import type { RecordDecoder } from './record-decoder';

/** Messages handed out together (to eachBatch, or one iterator refill). */
export const CHUNK_MESSAGES = 1024;

/** Longest stretch of decoding without letting timers run. */
const YIELD_EVERY_MS = 50;

export interface DecodedData<B extends Uint8Array = Uint8Array> {
  data: FetchedData;
  messages: Array<ConsumerMessage<B>>;
  /** The partition's position once these messages are processed. */
  nextOffset: number;
}

export interface DeliveryConfig<B extends Uint8Array> {
  buffer: FetchBuffer;
  decoder: RecordDecoder<B>;
  tracker: ConsumptionTracker;
  clock: Clock;
  /**
   * Called before the first chunk of each fetched data is handed out (at-most-once commits it
   * first). The data is dropped when it resolves false or the data went stale meanwhile.
   */
  beforeHandOut?: ((data: FetchedData) => Promise<boolean>) | null;
}

interface Cursor {
  data: FetchedData;
  batches: Iterator<BatchView>;
}

export class Delivery<B extends Uint8Array = Uint8Array> {
  private cursor: Cursor | null = null;
  private lastYield = 0;

  constructor(private readonly c: DeliveryConfig<B>) {}

  /** Next decoded, deliverable, non-empty chunk; undefined when the buffer closed or `active()` turned false. */
  async next(active: () => boolean): Promise<DecodedData<B> | undefined> {
    const now = this.c.clock.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.lastYield = this.c.clock.now();
    }
    for (;;) {
      if (!active()) return undefined;
      let cursor = this.cursor;
      if (!cursor) {
        const data = await this.take();
        if (!data || !active()) return undefined;
        if (!isDeliverable(data)) continue;
        if (this.c.beforeHandOut) {
          const ok = await this.c.beforeHandOut(data);
          if (!active()) return undefined;
          if (!ok || !isDeliverable(data)) continue;
        }
        cursor = this.cursor = { data, batches: this.c.decoder.batches(data.records) };
      }
      const { data } = cursor;
      const s = data.state;
      if (!isDeliverable(data)) {
        this.cursor = null;
        continue;
      }
      const chunk = await this.c.decoder.decodeChunk(s.topic, s.partition, cursor.batches, data.fetchOffset, CHUNK_MESSAGES);
      if (chunk.done && this.cursor === cursor) this.cursor = null;
      if (!active()) return undefined;
      if (!isDeliverable(data)) continue;
      const nextOffset = chunk.done ? data.nextOffset : chunk.nextOffset;
      if (chunk.messages.length === 0) {
        // Only control records or records below the position: move past them.
        if (chunk.done) s.position = Math.max(s.position ?? 0, nextOffset);
        continue;
      }
      this.c.tracker.progressed(0);
      return { data, messages: chunk.messages, nextOffset };
    }
  }

  /** Forgets the data being decoded (consumption stopped; it will be fetched again). */
  reset(): void {
    this.cursor = null;
  }

  /** The next fetched data; while the buffer is empty the application counts as waiting for records. */
  private async take(): Promise<FetchedData | undefined> {
    if (!this.c.buffer.isEmpty) return this.c.buffer.take();
    const done = this.c.tracker.waitForRecords();
    try {
      return await this.c.buffer.take();
    } finally {
      done();
      // Waiting for data is a turn of the event loop (the data came from I/O): due timers have
      // run. Not counting it made a consumer at a steady low rate yield (setTimeout 0, >= 1 ms)
      // before one delivery in every 50 ms: a millisecond on ~2% of records, i.e. on its p99.
      this.lastYield = this.c.clock.now();
    }
  }
}

/** True while nothing moved the partition since `data` was fetched. */
export function isCurrent(data: FetchedData): boolean {
  return data.epoch === data.state.epoch;
}

/** Current, and its partition is not being revoked: may be handed to the application. */
export function isDeliverable(data: FetchedData): boolean {
  return data.epoch === data.state.epoch && !data.state.revoking;
}

/**
 * Resolves after due timers and I/O callbacks had a chance to run (a platform timer, not the
 * injected Clock: this is about the event loop, not about time).
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
