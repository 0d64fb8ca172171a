/**
 * Reads a stream chunk by chunk until it ends or `signal` aborts. Pull-based: the stream is paused
 * while the caller is busy with a chunk, so a slow consumer of the chunks slows the reader.
 *
 * On abort the stream is destroyed: an async generator cannot be return()ed while its next() is
 * pending (the return waits behind it, i.e. for input that may never come), so destroying the
 * stream is what ends a read parked on an open, silent stdin.
 */
import type { Readable } from 'node:stream';

export async function* readChunks(stream: Readable, signal: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  if (signal.aborted) return;
  const iterator: AsyncIterator<unknown> = stream[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  let finished = false;
  try {
    for (;;) {
      const next = iterator.next();
      const result = await Promise.race([next, aborted]);
      if (result === 'aborted') {
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
    if (onAbort) signal.removeEventListener('abort', onAbort);
    if (!finished) stream.destroy();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), 'utf8');
}
