/**
 * Codecs of the Node entry: gzip through node:zlib (on libuv's thread pool, faster than
 * CompressionStream) and snappy through the `snappy` package (napi-rs prebuilt bindings, shipped
 * as optional per-platform packages: no install script). snappy loads on first use; where no
 * binding exists for the platform, ready() and every call reject with UNSUPPORTED_COMPRESSION_TYPE.
 * Node-only: the browser entry never imports this file (browsers have gzip only, see
 * compression-codec.ts).
 *
 * Batches use raw snappy blocks (no xerial framing), as the broker's cleaner writes them.
 */
import { gunzip, gzip } from 'node:zlib';
import { CompressionCodec as CodecIds } from '@strata/protocol';
import { ERRORS, StrataError } from '../errors';
import type { CompressionCodec } from './compression-codec';

type Zlib = (data: Uint8Array, callback: (error: Error | null, result: Uint8Array) => void) => void;

function run(fn: Zlib, data: Uint8Array): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => fn(data, (error, result) => (error ? reject(error) : resolve(result))));
}

export const nodeGzip: CompressionCodec = Object.freeze({
  id: CodecIds.Gzip,
  name: 'gzip',
  compress: (data: Uint8Array) => run(gzip, data),
  decompress: (data: Uint8Array) => run(gunzip, data),
});

type SnappyModule = typeof import('snappy');
let snappyModule: Promise<SnappyModule> | null = null;

function loadSnappy(): Promise<SnappyModule> {
  snappyModule ??= import('snappy').catch((cause: unknown) => {
    throw new StrataError(
      ERRORS.UNSUPPORTED_COMPRESSION_TYPE,
      `snappy is not available on this platform (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  });
  return snappyModule;
}

function bytes(out: string | Uint8Array): Uint8Array {
  if (typeof out === 'string') throw new TypeError('snappy returned a string');
  return out;
}

export const nodeSnappy: CompressionCodec = Object.freeze({
  id: CodecIds.Snappy,
  name: 'snappy',
  compress: async (data: Uint8Array) => (await loadSnappy()).compress(data),
  decompress: async (data: Uint8Array) => bytes(await (await loadSnappy()).uncompress(data)),
  ready: async () => {
    await loadSnappy();
  },
});

/** The Node entry's codecs. */
export function nodeCodecs(): CompressionCodec[] {
  return [nodeGzip, nodeSnappy];
}
