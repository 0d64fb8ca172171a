/**
 * Polls `fn` every 100 ms until it returns a truthy value, at most `attempts` times; throws with
 * the last error `fn` threw (tests throw one that describes the state they saw). For the cluster
 * tests, which wait for outcomes, never for durations.
 */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, attempts = 300): Promise<T> {
  let last: unknown = null;
  for (let i = 0; i < attempts; i++) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
