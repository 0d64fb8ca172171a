/**
 * AuthFailureLimiter: after `maxFailures` failed authentications within `windowMs` from one address,
 * or for one user name, further attempts from that address or for that user are refused at once
 * (SASL_AUTHENTICATION_FAILED, "too many failed attempts") until the oldest failure leaves the
 * window. This bounds online password guessing. Failures are timestamps on the injected clock; each
 * key keeps at most `maxFailures` of them, and keys with none in the window are dropped on use and
 * by a sweep, so memory stays bounded by the addresses and users that failed recently.
 * Single-threaded.
 */
import type { Clock } from '../util/clock';

export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  /** Milliseconds until `host` (and `user`, when known) may try again; 0: now. */
  blockedFor(host: string, user?: string): number {
    if (this.maxFailures <= 0) return 0;
    const now = this.clock.now();
    return Math.max(this.waitOf(`h:${host}`, now), user === undefined ? 0 : this.waitOf(`u:${user}`, now));
  }

  record(host: string, user?: string): void {
    if (this.maxFailures <= 0) return;
    const now = this.clock.now();
    this.add(`h:${host}`, now);
    if (user !== undefined) this.add(`u:${user}`, now);
    if (now - this.lastSweep > this.windowMs) this.sweep(now);
  }

  private waitOf(key: string, now: number): number {
    const list = this.recent(key, now);
    if (list.length < this.maxFailures) return 0;
    return list[0]! + this.windowMs - now;
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private add(key: string, now: number): void {
    const list = this.recent(key, now);
    list.push(now);
    if (list.length > this.maxFailures) list.shift();
    this.failures.set(key, list);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const key of [...this.failures.keys()]) this.recent(key, now);
  }
}
