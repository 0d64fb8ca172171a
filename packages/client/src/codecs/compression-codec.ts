/**
 * Compression codecs, keyed by the codec id stored in a record batch's attributes (bits 0-2).
 * The consumer looks codecs up here to decompress batches; the producer (issue "producer") will use
 * the same registry to compress. gzip is built in where the platform has CompressionStream (every
 * current browser, Node >= 18); other codecs plug in with `register`.
 */
import { CompressionCodec as CodecIds, type CompressionCodecId } from '@strata/protocol';
import { CLIENT_ERRORS, ERRORS, StrataError } from '../errors';

export interface CompressionCodec {
  readonly id: CompressionCodecId;
  readonly name: string;
  compress(data: Uint8Array): Promise<Uint8Array>;
  decompress(data: Uint8Array): Promise<Uint8Array>;
}

const NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

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

  /** Decompresses a records section; UNSUPPORTED_COMPRESSION_TYPE when no codec is registered. */
  decompress(id: number, data: Uint8Array): Promise<Uint8Array> {
    const codec = this.codecs.get(id);
    if (!codec) {
      const name = NAMES[id] ?? `unknown codec ${id}`;
      return Promise.reject(
        new StrataError(
          CLIENT_ERRORS.UNSUPPORTED_COMPRESSION_TYPE,
          `a record batch is compressed with ${name}, which this client cannot decompress (registered: ${[...this.codecs.values()].map((c) => c.name).join(', ') || 'none'})`,
        ),
      );
    }
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

/** The codecs available on this platform without extra packages. */
export function defaultCodecs(extra: readonly CompressionCodec[] = []): CodecRegistry {
  const registry = new CodecRegistry();
  const gzip = platformGzip();
  if (gzip) registry.register(gzip);
  for (const c of extra) registry.register(c);
  return registry;
}
