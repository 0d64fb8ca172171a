/**
 * Reads a stream chunk by chunk until it ends or `signal` aborts. Pull-based: the stream is paused
 * while the caller is busy with a chunk, so a slow consumer of the chunks slows the reader.
 *
 * On abort the stream is destroyed: an async generator cannot be return()ed while its next() is
 * pending (the return waits behind it, i.e. for input that may never come), so destroying the
 * stream is what ends a read parked on an open, silent stdin.
 */
import type { Readable } from 'node:stream';
import { ABORTED, settle } from './settle';

export async function* readChunks(stream: Readable, signal: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  if (signal.aborted) return;
  const iterator: AsyncIterator<unknown> = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = iterator.next();
      // A fresh wait per chunk (settle): racing every read against one long-lived promise would
      // attach a reaction to it per chunk, each keeping its chunk alive until the stream ends.
      const result = await settle(next, signal, null);
      if (result === ABORTED) {
        next.catch(() => undefined); // settles (done or premature close) once the stream is destroyed
        return;
      }
      if (result.done) {
        finished = true;
        return;
      }
      yield toBuffer(result.value);
    }
  } finally {
    if (!finished) stream.destroy();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), 'utf8');
}
