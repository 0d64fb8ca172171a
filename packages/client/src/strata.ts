/**
 * The entry object of the SDK: validates the client options once and creates admins, producers and
 * consumers. Each component owns its connections (so a consumer's parked long-poll fetch never
 * delays a producer's request) and shares the options, transport, clock and logger.
 */
import { Admin } from './admin/admin';
import type { AdminOptions } from './admin/admin-options';
import type { CompressionCodec } from './codecs/compression-codec';
import { createContext, type ClientContext } from './client-context';
import { resolveClientOptions, type StrataOptions } from './config/client-options';
import { Consumer } from './consumer/consumer';
import type { ConsumerOptions } from './consumer/consumer-options';
import { Producer } from './producer/producer';
import type { ProducerOptions } from './producer/producer-options';
import { StrataConfigError } from './errors';
import type { Transport } from './transport/transport';

export class StrataClient {
  private readonly ctx: ClientContext;

  /**
   * @param options validated here: an invalid option throws StrataConfigError (code INVALID_CONFIG)
   * @param defaultTransport used when `options.transport` is not given (the entry points pass theirs)
   * @param platformCodecs compression codecs of the platform (the Node entry passes zlib gzip and snappy)
   */
  constructor(options: StrataOptions, defaultTransport?: () => Transport, platformCodecs?: () => readonly CompressionCodec[]) {
    const resolved = resolveClientOptions(options);
    const transport = resolved.transport ?? defaultTransport?.();
    if (!transport) throw new StrataConfigError('transport', 'no transport: pass options.transport (e.g. wsTransport() or browserTransport())');
    this.ctx = createContext(resolved, transport, platformCodecs?.() ?? []);
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

  consumer(options?: ConsumerOptions): Consumer {
    return new Consumer(this.ctx, options);
  }
}
