/**
 * @strata/client for Node: `new Strata({ brokers, clientId })` connects over the `ws` package,
 * compresses with zlib's gzip and snappy, and computes CRC-32C natively when the optional
 * @node-rs/crc32 is installed.
 * Browsers get the `browser` entry (same API, global WebSocket) through the package's `exports`
 * conditions, so `ws` never lands in a browser bundle.
 */
import type { StrataOptions } from './config/client-options';
import { installNativeCrc32c } from './codecs/native-crc';
import { nodeCodecs } from './codecs/node-codecs';
import { StrataClient } from './strata';
import { wsTransport } from './transport/ws-transport';

export * from './public-api';
export { wsTransport, type WsTransportOptions } from './transport/ws-transport';

/** The Strata client, defaulting to the Node `ws` transport. */
export class Strata extends StrataClient {
  constructor(options: StrataOptions) {
    super(options, () => wsTransport(), nodeCodecs);
    installNativeCrc32c();
  }
}
