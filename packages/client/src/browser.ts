/**
 * @strata/client for browsers (and Deno, Bun, Node >= 22 with a global WebSocket): the same API as
 * the Node entry, with the platform WebSocket as the default transport. Imports nothing from Node.
 */
import type { StrataOptions } from './config/client-options';
import { uint8ArrayView } from './consumer/bytes-view';
import { StrataClient } from './strata';
import { browserTransport } from './transport/browser-transport';

export * from './public-api';

/** The Strata client, defaulting to the global WebSocket. */
export class Strata extends StrataClient {
  constructor(options: StrataOptions) {
    super(options, { transport: () => browserTransport(), bytesView: uint8ArrayView });
  }
}
