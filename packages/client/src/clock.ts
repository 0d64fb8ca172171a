/**
 * Time, injected so that tests control it: every timer the SDK sets (request timeouts, backoff,
 * heartbeats, auto-commit) goes through a Clock. `systemClock` uses the platform's timers.
 *
 * Timers keep a Node process alive, like Node's own: the SDK only sets them while a caller awaits
 * something (a request timeout while the request is pending, a retry backoff, a consumer's
 * heartbeat while it is a group member) and clears them on completion or disconnect(). An unref'd
 * timer let a script awaiting `connect()` against a refused port exit 0 in the middle of a retry
 * backoff, with its promise never settled.
 */

/** An opaque timer handle returned by Clock.setTimeout. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle => setTimeout(callback, ms),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/** Resolves after `ms` on `clock`; an abort wakes it early and rejects with the signal's reason. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
