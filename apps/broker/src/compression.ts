/**
 * Compression on the broker. The broker stores compressed batches as produced and never
 * decompresses on the produce or fetch path; only ListOffsets-by-timestamp, the compacted-topic key
 * check and the log cleaner look inside a compressed batch (the cleaner also recompresses the
 * batches it rewrites). gzip (node:zlib) and snappy (raw snappy blocks, the `snappy` package's
 * prebuilt binding) are available; other codecs make those paths keep the batch whole or answer
 * with its first offset.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { BATCH_HEADER_SIZE, CompressionCodec, compressionOf, readBatchHeader } from '@strata/protocol';

/** A records section decompressed; null when the codec is not available. */
export function decompressSection(codec: number, section: Uint8Array): Uint8Array | null {
  switch (codec) {
    case CompressionCodec.None:
      return section;
    case CompressionCodec.Gzip:
      return gunzipSync(section);
    case CompressionCodec.Snappy:
      return bytesOf(snappyUncompress(section));
    default:
      return null;
  }
}

/** A records section compressed with `codec` (one of those canDecompress accepts). */
export function compressSection(codec: number, section: Uint8Array): Uint8Array {
  switch (codec) {
    case CompressionCodec.Gzip:
      return gzipSync(section);
    case CompressionCodec.Snappy:
      return snappyCompress(section);
    default:
      return section;
  }
}

/** snappy returns a string only when asked to (asBuffer: false). */
function bytesOf(out: string | Uint8Array): Uint8Array {
  if (typeof out === 'string') throw new TypeError('snappy returned a string');
  return out;
}

/** The records section of a stored batch, decompressed; null when the codec is not available. */
export function recordsSection(batch: Uint8Array): Uint8Array | null {
  const header = readBatchHeader(batch);
  return decompressSection(compressionOf(header.attributes), batch.subarray(BATCH_HEADER_SIZE));
}
