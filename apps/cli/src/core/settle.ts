/**
 * Waiting for a promise while staying responsive: to an abort (SIGINT/SIGTERM, a closed stdout)
 * and, optionally, to a periodic tick (to check a condition while nothing arrives).
 */

export const ABORTED: unique symbol = Symbol('aborted');
export const TICK: unique symbol = Symbol('tick');

/**
 * `promise`'s value; or ABORTED as soon as `signal` aborts; or TICK after `tickMs` (when not null)
 * if the promise is still pending. The caller keeps the promise and may wait on it again.
 */
export function settle<T>(promise: Promise<T>, signal: AbortSignal, tickMs: null): Promise<T | typeof ABORTED>;
export function settle<T>(promise: Promise<T>, signal: AbortSignal, tickMs: number | null): Promise<T | typeof ABORTED | typeof TICK>;
export async function settle<T>(promise: Promise<T>, signal: AbortSignal, tickMs: number | null): Promise<T | typeof ABORTED | typeof TICK> {
  if (signal.aborted) return ABORTED;
  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const tick = tickMs === null ? null : new Promise<typeof TICK>((resolve) => (timer = setTimeout(() => resolve(TICK), tickMs)));
  try {
    return await Promise.race(tick ? [promise, aborted, tick] : [promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
  }
}
