/**
 * Retries with exponential backoff and jitter: the one place that decides how long the SDK waits
 * before trying again, with its defaults in RETRY_DEFAULTS.
 *
 * Delay before retry n (0-based): min(initialRetryTimeMs * multiplier^n, maxRetryTimeMs), then
 * spread by +/- `factor` (random jitter, so that many clients do not retry in lockstep), never above
 * maxRetryTimeMs. Only errors that say they are retriable are retried (see isRetriable).
 */
import { sleep, type Clock } from './clock';
import { isRetriable } from './errors';

export interface RetryOptions {
  /**
   * How many times to retry after the first attempt.
   * @default 10
   */
  retries: number;
  /**
   * Delay before the first retry, in milliseconds.
   * @default 100
   */
  initialRetryTimeMs: number;
  /**
   * Upper bound of any delay, in milliseconds.
   * @default 1000
   */
  maxRetryTimeMs: number;
  /**
   * Growth of the delay from one retry to the next.
   * @default 2
   */
  multiplier: number;
  /**
   * Jitter: each delay is randomly spread by up to this fraction, up or down (0 disables it).
   * @default 0.2
   */
  factor: number;
}

/**
 * Kafka's backoff (retry.backoff.ms 100, retry.backoff.max.ms 1000, KIP-580): what the SDK waits for
 * is mostly a leader moving, which takes a broker lease (~3 s) — a longer cap would only add up to
 * its own length to every failover. 10 retries span about 7.5 s.
 */
export const RETRY_DEFAULTS: Readonly<RetryOptions> = Object.freeze({
  retries: 10,
  initialRetryTimeMs: 100,
  maxRetryTimeMs: 1_000,
  multiplier: 2,
  factor: 0.2,
});

/** Delay in milliseconds before retry number `attempt` (0 for the first retry). */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const base = Math.min(options.initialRetryTimeMs * options.multiplier ** attempt, options.maxRetryTimeMs);
  const jittered = base + base * options.factor * (random() * 2 - 1);
  return Math.max(0, Math.min(Math.round(jittered), options.maxRetryTimeMs));
}

export interface RetryHooks {
  /** Decides whether an error is worth another attempt; default isRetriable. */
  shouldRetry?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to refresh metadata or log. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Runs operations with retries. Stateless apart from its options: share one per component.
 */
export class Retrier {
  constructor(
    readonly options: Readonly<RetryOptions>,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before retry number `attempt`. */
  delay(attempt: number): number {
    return backoffMs(attempt, this.options, this.random);
  }

  /**
   * Calls `operation` until it resolves, a non-retriable error occurs, or `retries` retries have
   * failed; then rejects with the last error, unchanged.
   */
  async run<T>(operation: (attempt: number) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
    const shouldRetry = hooks.shouldRetry ?? isRetriable;
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation(attempt);
      } catch (error) {
        if (attempt >= this.options.retries || !shouldRetry(error) || hooks.signal?.aborted) throw error;
        const delayMs = this.delay(attempt);
        hooks.onRetry?.(error, attempt, delayMs);
        await sleep(this.clock, delayMs, hooks.signal);
      }
    }
  }
}
