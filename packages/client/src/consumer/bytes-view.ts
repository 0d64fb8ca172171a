/**
 * How decoded keys, values and header values are materialised: a function making a view of
 * `length` bytes at `byteOffset` of the fetched (or decompressed) data, never a copy. The browser
 * entry makes plain Uint8Arrays; the Node entry makes Buffers (node-bytes-view.ts), so that
 * `message.value.toString()` is the text. Building a view from the ArrayBuffer costs the same as
 * `Uint8Array.prototype.subarray`, while `Buffer.prototype.subarray` is markedly slower.
 */
export type BytesView<B extends Uint8Array> = (buffer: ArrayBufferLike, byteOffset: number, length: number) => B;

/** Plain Uint8Array views (browsers, and any runtime without Buffer). */
export const uint8ArrayView: BytesView<Uint8Array> = (buffer, byteOffset, length) => new Uint8Array(buffer, byteOffset, length);
