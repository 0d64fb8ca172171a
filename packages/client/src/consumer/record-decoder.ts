/**
 * Turns fetched bytes into messages: walks the record batches (validating each CRC-32C unless
 * disabled), skips control batches and whole batches below the fetch offset, decompresses through
 * the codec registry, decodes the records (message-reader.ts) and drops those below the fetch offset
 * (a fetch returns whole batches, so the first may start before the offset asked for).
 */
import { BATCH_HEADER_SIZE, BatchAttribute, compressionOf, iterateBatches, lastOffsetOf, type BatchView } from '@strata/protocol';
import type { CodecRegistry } from '../codecs/compression-codec';
import type { BytesView } from './bytes-view';
import type { ConsumerMessage } from './consumer-message';
import { readMessages } from './message-reader';

/** Offset after the last complete batch in `records`, or null when there is none. */
export function nextOffsetAfter(records: Uint8Array): { nextOffset: number; completeBytes: number } | null {
  let next: number | null = null;
  let end = 0;
  for (const b of iterateBatches(records, { validate: false, allowPartialTail: true })) {
    next = lastOffsetOf(b.header) + 1;
    end = b.position + b.bytes.length;
  }
  return next === null ? null : { nextOffset: next, completeBytes: end };
}

/** Messages decoded from consecutive batches; `nextOffset` follows the last batch read (-1: none). */
export interface DecodedChunk<B extends Uint8Array = Uint8Array> {
  messages: Array<ConsumerMessage<B>>;
  nextOffset: number;
  /** True when `batches` is exhausted. */
  done: boolean;
}

/**
 * Decodes fetched data in chunks of whole batches, so that only the messages being processed are
 * alive at once (decoding a whole 8 MiB fetch into objects up front costs more in GC than in
 * decoding).
 */
export class RecordDecoder<B extends Uint8Array = Uint8Array> {
  constructor(
    private readonly codecs: CodecRegistry,
    private readonly checkCrcs: boolean,
    /** Makes keys, values and header values (Buffer views in Node, Uint8Array views in browsers). */
    private readonly view: BytesView<B>,
  ) {}

  /** Batches of `records`, validated (CRC) when checkCrcs is on; a partial batch at the end is ignored. */
  batches(records: Uint8Array): Iterator<BatchView> {
    return iterateBatches(records, { validate: this.checkCrcs, allowPartialTail: true });
  }

  /** Reads batches until at least `minMessages` messages are decoded or `batches` ends. */
  async decodeChunk(topic: string, partition: number, batches: Iterator<BatchView>, fetchOffset: number, minMessages: number): Promise<DecodedChunk<B>> {
    const out: Array<ConsumerMessage<B>> = [];
    let nextOffset = -1;
    for (;;) {
      const step = batches.next();
      if (step.done) return { messages: out, nextOffset, done: true };
      const header = step.value.header;
      nextOffset = lastOffsetOf(header) + 1;
      if ((header.attributes & BatchAttribute.CONTROL) !== 0 || nextOffset <= fetchOffset || header.recordCount === 0) continue;
      let section = step.value.bytes.subarray(BATCH_HEADER_SIZE);
      const codec = compressionOf(header.attributes);
      if (codec !== 0) section = await this.codecs.decompress(codec, section);
      readMessages(out, this.view, topic, partition, section, header, fetchOffset);
      if (out.length >= minMessages) return { messages: out, nextOffset, done: false };
    }
  }

  /** Decodes everything at once. */
  async decode(topic: string, partition: number, records: Uint8Array, fetchOffset: number): Promise<Array<ConsumerMessage<B>>> {
    return (await this.decodeChunk(topic, partition, this.batches(records), fetchOffset, Number.POSITIVE_INFINITY)).messages;
  }
}
