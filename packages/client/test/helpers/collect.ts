/** Small helpers for behaviour tests. */
/** Takes `n` messages from the consumer's async iterator, then stops iterating. */
export async function take<M>(consumer: AsyncIterable<M>, n: number): Promise<M[]> {
  const out: M[] = [];
  if (n === 0) return out;
  for await (const m of consumer) {
    out.push(m);
    if (out.length >= n) break;
  }
  return out;
}

/** Resolves when `predicate` holds, checking after each macrotask; rejects after `limitMs`. */
export async function until(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const utf8 = new TextDecoder();
export const text = (b: Uint8Array | null): string | null => (b === null ? null : utf8.decode(b));
