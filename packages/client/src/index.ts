/**
 * @strata/client for Node: `new Strata({ brokers, clientId })` connects over the `ws` package,
 * compresses with zlib's gzip and snappy, and computes CRC-32C natively when the optional
 * @node-rs/crc32 is installed.
 * Browsers get the `browser` entry (same API, global WebSocket) through the package's `exports`
 * conditions, so `ws` never lands in a browser bundle.
 */
import type { Buffer } from 'node:buffer';
import type { StrataOptions } from './config/client-options';
import { installNativeCrc32c } from './codecs/native-crc';
import { nodeCodecs } from './codecs/node-codecs';
import * as consumer from './consumer/consumer';
import * as message from './consumer/consumer-message';
import { bufferView } from './consumer/node-bytes-view';
import type * as runner from './consumer/runner';
import { StrataClient } from './strata';
import { wsTransport } from './transport/ws-transport';

export * from './public-api';
export { wsTransport, type WsTransportOptions } from './transport/ws-transport';
export { bufferView } from './consumer/node-bytes-view';

/** The Strata client, defaulting to the Node `ws` transport; consumers deliver Buffers. */
export class Strata extends StrataClient<Buffer> {
  constructor(options: StrataOptions) {
    super(options, { transport: () => wsTransport(), codecs: nodeCodecs, bytesView: bufferView });
    installNativeCrc32c();
  }
}

// In Node, keys, values and header values of received messages are Buffers (views of the fetched
// bytes): these names shadow the generic ones of public-api, whose default is Uint8Array. The
// classes stay the same values (for instanceof).
export const ConsumerMessage = message.ConsumerMessage;
export type ConsumerMessage = message.ConsumerMessage<Buffer>;
export const MessageBatch = message.MessageBatch;
export type MessageBatch = message.MessageBatch<Buffer>;
export const Consumer = consumer.Consumer;
export type Consumer = consumer.Consumer<Buffer>;
export type RecordHeader = message.RecordHeader<Buffer>;
export type EachMessagePayload = runner.EachMessagePayload<Buffer>;
export type EachBatchPayload = runner.EachBatchPayload<Buffer>;
export type RunOptions = runner.RunOptions<Buffer>;
