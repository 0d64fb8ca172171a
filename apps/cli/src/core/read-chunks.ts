/**
 * Reads a stream chunk by chunk until it ends or `signal` aborts. Pull-based: the stream is paused
 * while the caller is busy with a chunk, so a slow consumer of the chunks slows the reader.
 */
export async function* readChunks(stream: NodeJS.ReadableStream, signal: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  if (signal.aborted) return;
  const iterator = stream[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    for (;;) {
      const next = iterator.next();
      const result = await Promise.race([next, aborted]);
      if (result === 'aborted') {
        next.catch(() => undefined);
        return;
      }
      if (result.done) return;
      const chunk: unknown = result.value;
      yield typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    }
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    if (signal.aborted) await iterator.return?.().catch(() => undefined);
  }
}
