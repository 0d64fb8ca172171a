/**
 * The entry object of the SDK: validates the client options once and creates admins, producers and
 * consumers. Each component owns its connections (so a consumer's parked long-poll fetch never
 * delays a producer's request) and shares the options, transport, clock and logger.
 */
import { Admin } from './admin/admin';
import type { AdminOptions } from './admin/admin-options';
import type { CompressionCodec } from './codecs/compression-codec';
import { createContext, type ClientContext } from './client-context';
import { uint8ArrayView, type BytesView } from './consumer/bytes-view';
import { resolveClientOptions, type StrataOptions } from './config/client-options';
import { Consumer } from './consumer/consumer';
import type { ConsumerOptions } from './consumer/consumer-options';
import { Producer } from './producer/producer';
import type { ProducerOptions } from './producer/producer-options';
import { StrataConfigError } from './errors';
import type { Transport } from './transport/transport';

/** What an entry point provides beyond the options: Node and browsers differ here only. */
export interface PlatformDefaults<B extends Uint8Array> {
  /** Used when `options.transport` is not given. */
  transport?: () => Transport;
  /** Compression codecs of the platform (the Node entry: zlib gzip and snappy). */
  codecs?: () => readonly CompressionCodec[];
  /** Makes received keys, values and header values. */
  bytesView: BytesView<B>;
}

/**
 * `B` is the byte type consumers deliver: Buffer from the Node entry's `Strata`, Uint8Array from the
 * browser entry's and from a StrataClient built without platform defaults.
 */
export class StrataClient<B extends Uint8Array = Uint8Array> {
  private readonly ctx: ClientContext<B>;

  /**
   * @param options validated here: an invalid option throws StrataConfigError (code INVALID_CONFIG)
   * @param platform the entry point's defaults; without it, `options.transport` is required and
   *   consumers deliver Uint8Arrays
   */
  constructor(options: StrataOptions, ...platform: Uint8Array extends B ? [platform?: PlatformDefaults<B>] : [platform: PlatformDefaults<B>]) {
    const resolved = resolveClientOptions(options);
    const p = platform[0];
    const transport = resolved.transport ?? p?.transport?.();
    if (!transport) throw new StrataConfigError('transport', 'no transport: pass options.transport (e.g. wsTransport() or browserTransport())');
    // Without platform defaults B is Uint8Array (the rest parameter's type makes them required otherwise).
    const view = p?.bytesView ?? (uint8ArrayView as BytesView<B>);
    this.ctx = createContext(resolved, transport, p?.codecs?.() ?? [], view);
  }

  /** Client id sent with every request. */
  get clientId(): string {
    return this.ctx.options.clientId;
  }

  admin(options?: AdminOptions): Admin {
    return new Admin(this.ctx, options);
  }

  producer(options?: ProducerOptions): Producer {
    return new Producer(this.ctx, options);
  }

  consumer(options?: ConsumerOptions): Consumer<B> {
    return new Consumer<B>(this.ctx, options);
  }
}
