import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readChunks } from './read-chunks';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('readChunks', () => {
  it('yields every chunk in order and stops at the end of the stream', async () => {
    const seen: string[] = [];
    for await (const chunk of readChunks(Readable.from(['a', 'b', 'c']), new AbortController().signal)) seen.push(chunk.toString());
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('ends a read parked on a silent stream when the signal aborts', async () => {
    const silent = new Readable({ read: () => undefined });
    const stop = new AbortController();
    const reading = (async () => {
      const seen: Buffer[] = [];
      for await (const chunk of readChunks(silent, stop.signal)) seen.push(chunk);
      return seen;
    })();
    stop.abort();
    await expect(reading).resolves.toEqual([]);
    expect(silent.destroyed).toBe(true);
  });

  it('keeps no chunk alive once the caller is done with it (a long stdin does not pile up in memory)', async () => {
    const chunks = function* () {
      for (let i = 0; i < 50; i++) yield Buffer.alloc(64 * 1024, i);
    };
    const signal = new AbortController().signal; // long-lived, never aborted: nothing may hang on it
    const iterator = readChunks(Readable.from(chunks()), signal);
    let first: WeakRef<Buffer> | undefined;
    for (let i = 0; i < 40; i++) {
      const { value } = await iterator.next();
      first ??= new WeakRef(value as Buffer);
    }
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(first?.deref()).toBeUndefined();
    await iterator.return(undefined);
  });
});
