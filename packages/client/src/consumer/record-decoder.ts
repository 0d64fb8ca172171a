/**
 * Turns fetched bytes into messages: walks the record batches (validating each CRC-32C unless
 * disabled), skips control batches and whole batches below the fetch offset, decompresses through
 * the codec registry, decodes the records and drops those below the fetch offset (a fetch returns
 * whole batches, so the first may start before the offset asked for).
 */
import {
  BATCH_HEADER_SIZE,
  BatchAttribute,
  compressionOf,
  decodeRecords,
  iterateBatches,
  lastOffsetOf,
  type DecodedRecord,
} from '@strata/protocol';
import type { CodecRegistry } from '../codecs/compression-codec';
import { ConsumerMessage } from './consumer-message';

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

export class RecordDecoder {
  constructor(
    private readonly codecs: CodecRegistry,
    private readonly checkCrcs: boolean,
  ) {}

  async decode(topic: string, partition: number, records: Uint8Array, fetchOffset: number): Promise<ConsumerMessage[]> {
    const out: ConsumerMessage[] = [];
    for (const batch of iterateBatches(records, { validate: this.checkCrcs, allowPartialTail: true })) {
      const header = batch.header;
      if ((header.attributes & BatchAttribute.CONTROL) !== 0) continue;
      if (lastOffsetOf(header) < fetchOffset || header.recordCount === 0) continue;
      let section = batch.bytes.subarray(BATCH_HEADER_SIZE);
      const codec = compressionOf(header.attributes);
      if (codec !== 0) section = await this.codecs.decompress(codec, section);
      append(out, topic, partition, decodeRecords(section, header), fetchOffset);
    }
    return out;
  }
}

function append(out: ConsumerMessage[], topic: string, partition: number, records: readonly DecodedRecord[], fetchOffset: number): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.offset < fetchOffset) continue;
    out.push(new ConsumerMessage(topic, partition, r.offset, r.timestamp, r.key, r.value, r.headers));
  }
}
