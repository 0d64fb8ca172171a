/**
 * Decompression on the broker. The broker stores compressed batches as produced and never
 * decompresses on the produce or fetch path; only ListOffsets-by-timestamp looks inside a
 * compressed batch to find the exact record. Codecs without a decompressor here make that lookup
 * answer with the batch's first offset instead.
 */
import { gunzipSync } from 'node:zlib';
import { BATCH_HEADER_SIZE, CompressionCodec, compressionOf, readBatchHeader } from '@strata/protocol';

/** The records section of a stored batch, decompressed; null when the codec is not available. */
export function recordsSection(batch: Uint8Array): Uint8Array | null {
  const header = readBatchHeader(batch);
  const section = batch.subarray(BATCH_HEADER_SIZE);
  switch (compressionOf(header.attributes)) {
    case CompressionCodec.None:
      return section;
    case CompressionCodec.Gzip:
      return gunzipSync(section);
    default:
      return null;
  }
}
