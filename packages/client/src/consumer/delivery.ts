/**
 * The application side of the FetchBuffer, shared by the run loop and the iterators: takes fetched
 * data, drops what went stale (seek, pause, reassignment since it was fetched), and decodes the
 * rest a chunk of record batches at a time (at least CHUNK_MESSAGES messages, whole batches), so
 * that a large fetch never turns into a large number of live objects at once.
 * One user at a time; reset() when consumption stops.
 */
import type { BatchView } from '@strata/protocol';
import type { ConsumerMessage } from './consumer-message';
import type { FetchBuffer, FetchedData } from './fetch-buffer';
import type { RecordDecoder } from './record-decoder';

/** Messages handed out together (to eachBatch, or one iterator refill). */
export const CHUNK_MESSAGES = 1024;

export interface DecodedData {
  data: FetchedData;
  messages: ConsumerMessage[];
  /** The partition's position once these messages are processed. */
  nextOffset: number;
}

interface Cursor {
  data: FetchedData;
  batches: Iterator<BatchView>;
}

export class Delivery {
  private cursor: Cursor | null = null;

  constructor(
    private readonly buffer: FetchBuffer,
    private readonly decoder: RecordDecoder,
  ) {}

  /** Next decoded, non-stale, non-empty chunk; undefined when the buffer closed. */
  async next(): Promise<DecodedData | undefined> {
    for (;;) {
      let cursor = this.cursor;
      if (!cursor) {
        const data = await this.buffer.take();
        if (!data) return undefined;
        if (!isCurrent(data)) continue;
        cursor = this.cursor = { data, batches: this.decoder.batches(data.records) };
      }
      const { data } = cursor;
      const s = data.state;
      if (!isCurrent(data)) {
        this.cursor = null;
        continue;
      }
      const chunk = await this.decoder.decodeChunk(s.topic, s.partition, cursor.batches, data.fetchOffset, CHUNK_MESSAGES);
      if (chunk.done && this.cursor === cursor) this.cursor = null;
      if (!isCurrent(data)) continue;
      const nextOffset = chunk.done ? data.nextOffset : chunk.nextOffset;
      if (chunk.messages.length === 0) {
        // Only control records or records below the position: move past them.
        if (chunk.done) s.position = Math.max(s.position ?? 0, nextOffset);
        continue;
      }
      return { data, messages: chunk.messages, nextOffset };
    }
  }

  /** Forgets the data being decoded (consumption stopped; it will be fetched again). */
  reset(): void {
    this.cursor = null;
  }
}

/** True while nothing moved the partition since `data` was fetched. */
export function isCurrent(data: FetchedData): boolean {
  return data.epoch === data.state.epoch;
}
