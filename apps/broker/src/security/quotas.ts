/**
 * Client quotas, with Kafka's semantics: produce bytes per second, fetch bytes per second and
 * requests per second, per user and/or client id. Rates are measured over `QUOTA_WINDOWS` windows
 * of `QUOTA_WINDOW_MS` (Kafka: 11 × 1 s). When a request takes a client above its quota, the
 * broker computes the throttle time that brings the rate back to the quota,
 * (rate − quota) / quota × measured time, reports it in the response (throttle_ms) and reads
 * nothing more from that connection meanwhile (KIP-219); the SDK sends nothing to that broker
 * meanwhile either.
 *
 * Which quota applies (Kafka's precedence): an override for this user and client id, then for the
 * user, then for the client id, then the broker defaults (`quota.*` settings; 0 = unlimited).
 * Clients that share an override share its rate; under the defaults each (user, client id) pair
 * has its own. Time comes from the injected clock. Single-threaded.
 */
import type { Clock } from '../util/clock';

export const QUOTA_WINDOWS = 11;
export const QUOTA_WINDOW_MS = 1000;

export interface QuotaLimits {
  /** Produce request bytes per second; 0: unlimited. */
  producerByteRate: number;
  /** Fetch response bytes per second; 0: unlimited. */
  consumerByteRate: number;
  /** Requests per second; 0: unlimited. */
  requestRate: number;
}

export interface QuotaOverride extends Partial<QuotaLimits> {
  /** User name (without "User:"); absent: any user. */
  user?: string;
  /** Client id; absent: any client. */
  clientId?: string;
}

export type QuotaKind = keyof QuotaLimits;

/** A rate over a ring of fixed windows. */
class SampledRate {
  private readonly values = new Float64Array(QUOTA_WINDOWS);
  private readonly starts = new Float64Array(QUOTA_WINDOWS).fill(-Infinity);
  private current = 0;

  record(value: number, now: number): void {
    const start = Math.floor(now / QUOTA_WINDOW_MS) * QUOTA_WINDOW_MS;
    if (this.starts[this.current] !== start) {
      this.current = (this.current + 1) % QUOTA_WINDOWS;
      this.starts[this.current] = start;
      this.values[this.current] = 0;
    }
    this.values[this.current]! += value;
  }

  /** Per second, and the time it is measured over (ms). */
  rate(now: number): { perSecond: number; elapsedMs: number } {
    let total = 0;
    let oldest = now;
    const horizon = now - QUOTA_WINDOWS * QUOTA_WINDOW_MS;
    for (let i = 0; i < QUOTA_WINDOWS; i++) {
      if (this.starts[i]! <= horizon) continue;
      total += this.values[i]!;
      oldest = Math.min(oldest, this.starts[i]!);
    }
    // Kafka measures over at least all windows but the current one, so a first burst is not
    // divided by a few milliseconds.
    const elapsedMs = Math.max(now - oldest, (QUOTA_WINDOWS - 1) * QUOTA_WINDOW_MS) + 1;
    return { perSecond: (total * 1000) / elapsedMs, elapsedMs };
  }
}

export class QuotaManager {
  private readonly rates = new Map<string, SampledRate>();

  constructor(
    private readonly defaults: QuotaLimits,
    private readonly overrides: readonly QuotaOverride[],
    private readonly clock: Clock,
  ) {}

  /** True when no quota of any kind can apply (the broker skips the bookkeeping). */
  get inactive(): boolean {
    const d = this.defaults;
    return d.producerByteRate === 0 && d.consumerByteRate === 0 && d.requestRate === 0 && this.overrides.length === 0;
  }

  /** Records `value` (bytes or 1 request) and returns the throttle time in ms (0: within quota). */
  record(kind: QuotaKind, user: string, clientId: string, value: number): number {
    const { limit, key } = this.resolve(kind, user, clientId);
    if (limit <= 0) return 0;
    const sensorKey = `${kind}\u0000${key}`;
    let rate = this.rates.get(sensorKey);
    if (!rate) this.rates.set(sensorKey, (rate = new SampledRate()));
    const now = this.clock.now();
    rate.record(value, now);
    const { perSecond, elapsedMs } = rate.rate(now);
    if (perSecond <= limit) return 0;
    const ms = ((perSecond - limit) / limit) * elapsedMs;
    return Math.min(Math.ceil(ms), QUOTA_WINDOWS * QUOTA_WINDOW_MS);
  }

  /** The limit that applies and the key of the rate it is measured by. */
  private resolve(kind: QuotaKind, user: string, clientId: string): { limit: number; key: string } {
    const candidates: Array<[(o: QuotaOverride) => boolean, string]> = [
      [(o) => o.user === user && o.clientId === clientId, `u:${user}\u0000c:${clientId}`],
      [(o) => o.user === user && o.clientId === undefined, `u:${user}`],
      [(o) => o.user === undefined && o.clientId === clientId, `c:${clientId}`],
    ];
    for (const [match, key] of candidates) {
      const o = this.overrides.find((x) => match(x) && x[kind] !== undefined);
      if (o) return { limit: o[kind]!, key };
    }
    return { limit: this.defaults[kind], key: `d:${user}\u0000${clientId}` };
  }
}
