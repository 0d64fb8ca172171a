/**
 * Compression codecs, keyed by the codec id stored in a record batch's attributes (bits 0-2).
 * The consumer looks codecs up here to decompress batches and the producer to compress them. gzip
 * is built in where the platform has CompressionStream (every current browser, Node >= 18); the
 * Node entry adds zlib's gzip and snappy (the `snappy` package's prebuilt binding); other codecs
 * plug in with `register` (the `codecs` option of producers and consumers).
 */
import { CompressionCodec as CodecIds, type CompressionCodecId } from '@strata/protocol';
import { ERRORS, StrataError } from '../errors';

export interface CompressionCodec {
  readonly id: CompressionCodecId;
  readonly name: string;
  compress(data: Uint8Array): Promise<Uint8Array>;
  decompress(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Resolves once the codec can work (a native binding loaded), rejects when it cannot. Producers
   * call it in connect(), so a missing binding fails there rather than at the first batch.
   */
  ready?(): Promise<void>;
}

/** Codec names as producers name them in their `compression` option. */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const COMPRESSION_IDS: Readonly<Record<CompressionName, CompressionCodecId>> = Object.freeze({
  none: CodecIds.None,
  gzip: CodecIds.Gzip,
  snappy: CodecIds.Snappy,
  lz4: CodecIds.Lz4,
  zstd: CodecIds.Zstd,
});

const NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

/** The error for a codec nobody registered. */
export function unsupportedCodec(id: number, registered: readonly string[], what: 'compress' | 'decompress'): StrataError {
  const name = NAMES[id] ?? `unknown codec ${id}`;
  return new StrataError(
    ERRORS.UNSUPPORTED_COMPRESSION_TYPE,
    `${what === 'compress' ? 'cannot compress record batches with' : 'a record batch is compressed with'} ${name}, which this client ${what === 'compress' ? 'does not have' : 'cannot decompress'} (registered: ${registered.join(', ') || 'none'}); in browsers only gzip is built in: pass a codec in the \`codecs\` option`,
  );
}

export class CodecRegistry {
  private readonly codecs = new Map<number, CompressionCodec>();

  constructor(codecs: readonly CompressionCodec[] = []) {
    for (const c of codecs) this.register(c);
  }

  register(codec: CompressionCodec): this {
    this.codecs.set(codec.id, codec);
    return this;
  }

  get(id: number): CompressionCodec | undefined {
    return this.codecs.get(id);
  }

  names(): string[] {
    return [...this.codecs.values()].map((c) => c.name);
  }

  /** Decompresses a records section; UNSUPPORTED_COMPRESSION_TYPE when no codec is registered. */
  decompress(id: number, data: Uint8Array): Promise<Uint8Array> {
    const codec = this.codecs.get(id);
    if (!codec) return Promise.reject(unsupportedCodec(id, this.names(), 'decompress'));
    return codec.decompress(data).catch((cause: unknown) => {
      if (cause instanceof StrataError) throw cause;
      throw new StrataError(ERRORS.CORRUPT_MESSAGE, `could not decompress a ${codec.name} record batch: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    });
  }
}

interface TransformStreamLike {
  readonly writable: WritableStream<Uint8Array>;
  readonly readable: ReadableStream<Uint8Array>;
}

async function pipeThrough(data: Uint8Array, stream: TransformStreamLike): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const written = writer.write(new Uint8Array(data)).then(() => writer.close());
  written.catch(() => undefined); // the read side reports the same failure
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await written;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

type StreamCtor = new (format: 'gzip') => TransformStreamLike;

/** gzip through the platform's CompressionStream, or undefined where there is none. */
export function platformGzip(): CompressionCodec | undefined {
  const g = globalThis as { CompressionStream?: StreamCtor; DecompressionStream?: StreamCtor };
  const C = g.CompressionStream;
  const D = g.DecompressionStream;
  if (!C || !D) return undefined;
  return {
    id: CodecIds.Gzip,
    name: 'gzip',
    compress: (data) => pipeThrough(data, new C('gzip')),
    decompress: (data) => pipeThrough(data, new D('gzip')),
  };
}

/**
 * The codecs of this platform: gzip through CompressionStream where it exists, then `platform`
 * (the Node entry's zlib gzip and snappy), then `extra` (the user's), later ones replacing earlier.
 */
export function defaultCodecs(extra: readonly CompressionCodec[] = [], platform: readonly CompressionCodec[] = []): CodecRegistry {
  const registry = new CodecRegistry();
  const gzip = platformGzip();
  if (gzip) registry.register(gzip);
  for (const c of platform) registry.register(c);
  for (const c of extra) registry.register(c);
  return registry;
}
