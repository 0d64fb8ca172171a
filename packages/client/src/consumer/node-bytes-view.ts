/**
 * Buffer views for the Node entry: keys, values and header values of received messages are Buffers
 * over the fetched bytes (no copy). Node-only: the browser entry never imports this file.
 */
import { Buffer } from 'node:buffer';
import type { BytesView } from './bytes-view';

export const bufferView: BytesView<Buffer> = (buffer, byteOffset, length) => Buffer.from(buffer, byteOffset, length);
