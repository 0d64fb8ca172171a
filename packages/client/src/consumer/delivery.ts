/**
 * The application side of the FetchBuffer, shared by the run loop and the iterators: takes fetched
 * data, drops what went stale (seek, pause, reassignment since it was fetched), decodes the rest.
 */
import type { ConsumerMessage } from './consumer-message';
import type { FetchBuffer, FetchedData } from './fetch-buffer';
import type { RecordDecoder } from './record-decoder';

export interface DecodedData {
  data: FetchedData;
  messages: ConsumerMessage[];
}

export class Delivery {
  constructor(
    private readonly buffer: FetchBuffer,
    private readonly decoder: RecordDecoder,
  ) {}

  /** Next decoded, non-stale, non-empty data; undefined when the buffer closed. */
  async next(): Promise<DecodedData | undefined> {
    for (;;) {
      const data = await this.buffer.take();
      if (!data) return undefined;
      const s = data.state;
      if (data.epoch !== s.epoch) continue;
      const messages = await this.decoder.decode(s.topic, s.partition, data.records, data.fetchOffset);
      if (data.epoch !== s.epoch) continue;
      if (messages.length === 0) {
        // Only control records or records below the position: move past them.
        s.position = data.nextOffset;
        continue;
      }
      return { data, messages };
    }
  }
}

/** True while nothing moved the partition since `data` was fetched. */
export function isCurrent(data: FetchedData): boolean {
  return data.epoch === data.state.epoch;
}
