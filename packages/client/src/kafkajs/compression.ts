/**
 * KafkaJS's `CompressionTypes` and `CompressionCodecs`. GZIP and Snappy are built into the Node
 * entry (zlib and the `snappy` package), so both work without registering anything. A codec a
 * program registers the KafkaJS way (`CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec`,
 * from kafkajs-lz4, @kafkajs/zstd...) is used by producers and consumers created afterwards: its
 * `compress({ buffer })` and `decompress(buffer)` are adapted to the SDK's codec interface.
 */
import { Buffer } from 'node:buffer';
import type { CompressionCodec, CompressionName } from '../codecs/compression-codec';
import { invalidOption } from './errors';

export const CompressionTypes = Object.freeze({
  None: 0,
  GZIP: 1,
  Snappy: 2,
  LZ4: 3,
  ZSTD: 4,
} as const);

// Used as a value and as a type, as in KafkaJS.
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

/** A KafkaJS codec: what `CompressionCodecs[type]()` returns. */
export interface KafkaJSCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer> | Buffer;
  decompress(buffer: Buffer): Promise<Buffer> | Buffer;
}

const NAMES: Readonly<Record<number, CompressionName>> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

const builtIn = (name: string) => (): KafkaJSCodec => {
  throw new Error(`${name} is built into @strata/client; it is not called through CompressionCodecs`);
};
const BUILT_IN_GZIP = builtIn('gzip');
const BUILT_IN_SNAPPY = builtIn('snappy');

/** Codec factories by compression type; assign LZ4 or ZSTD (or your own GZIP / Snappy) as in KafkaJS. */
export const CompressionCodecs: Record<number, (() => KafkaJSCodec) | undefined> = {
  [CompressionTypes.GZIP]: BUILT_IN_GZIP,
  [CompressionTypes.Snappy]: BUILT_IN_SNAPPY,
};

/** The compression name of a KafkaJS `compression` value (undefined: none). */
export function compressionName(value: unknown, option: string): CompressionName {
  if (value === undefined || value === null) return 'none';
  const name = typeof value === 'number' ? NAMES[value] : undefined;
  if (!name) throw invalidOption(option, `expected one of CompressionTypes (None 0, GZIP 1, Snappy 2, LZ4 3, ZSTD 4), got ${JSON.stringify(value)}`);
  return name;
}

/** The codecs programs registered in CompressionCodecs (beyond the built-in gzip and snappy), as SDK codecs. */
export function registeredCodecs(): CompressionCodec[] {
  const out: CompressionCodec[] = [];
  for (const [type, factory] of Object.entries(CompressionCodecs)) {
    if (!factory || factory === BUILT_IN_GZIP || factory === BUILT_IN_SNAPPY) continue;
    const id = Number(type);
    const name = NAMES[id];
    if (!name || id === 0) continue;
    const codec = factory();
    const asBuffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    out.push({
      id: id as CompressionCodec['id'],
      name,
      compress: async (data) => codec.compress({ buffer: asBuffer(data) }),
      decompress: async (data) => codec.decompress(asBuffer(data)),
    });
  }
  return out;
}
