/**
 * EtcdSession: this broker's lease in etcd and the rule that keeps a broker that lost touch with
 * etcd from acting on stale authority.
 *
 * The lease (TTL broker.session.timeout.ms, in whole seconds) is kept alive by the etcd3 client.
 * Each keep-alive that succeeds proves the lease lives until at least (the moment it was *sent*
 * + TTL), so `validUntil` is that moment minus a safety margin, measured on a monotonic clock.
 * `valid()` is checked synchronously on every leader operation (a broker paused by SIGSTOP runs
 * its queued requests before any timer fires: a timer alone would be too late), and `onExpired`
 * fires when the deadline passes without renewal: the broker stops leading and controlling, and
 * gets a new lease (a new broker epoch) when etcd answers again.
 *
 * Event loop only.
 */
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';

export interface SessionOptions {
  client: Etcd3;
  ttlMs: number;
  logger: Logger;
  /** Monotonic milliseconds (performance.now by default). */
  now?: () => number;
  /** The lease is about to expire or was lost: stop acting on it. */
  onExpired: () => void;
}

/** Stop acting this long before the lease could expire. */
const SAFETY_MARGIN_MS = 500;

export class EtcdSession {
  private lease: Lease | null = null;
  private leaseId = '';
  private validUntil = 0;
  private lastSent = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionOptions) {
    this.ttlSeconds = Math.max(2, Math.ceil(options.ttlMs / 1000));
    this.now = options.now ?? (() => performance.now());
  }

  /** The etcd3 Lease of the current session (keys put through it vanish with it). */
  get current(): Lease {
    if (!this.lease) throw new Error('no etcd session');
    return this.lease;
  }

  get id(): string {
    return this.leaseId;
  }

  /** True while the lease certainly lives (minus the margin). */
  valid(): boolean {
    return this.lease !== null && this.now() < this.validUntil;
  }

  /** Grants a new lease; resolves once etcd confirmed it. */
  async start(): Promise<void> {
    const sent = this.now();
    const lease = this.options.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    this.leaseId = await lease.grant();
    this.lease = lease;
    this.validUntil = sent + this.ttlSeconds * 1000 - SAFETY_MARGIN_MS;
    lease.on('keepaliveFired', () => {
      this.lastSent = this.now();
    });
    lease.on('keepaliveSucceeded', () => {
      if (this.lease !== lease) return;
      this.validUntil = Math.max(this.validUntil, this.lastSent + this.ttlSeconds * 1000 - SAFETY_MARGIN_MS);
      this.arm();
    });
    lease.on('lost', (err) => {
      if (this.lease !== lease || this.closed) return;
      this.options.logger.warn({ err }, 'etcd lease lost');
      this.expire();
    });
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), Math.max(0, this.validUntil - this.now()) + 1);
    this.timer.unref();
  }

  private check(): void {
    if (this.closed || !this.lease) return;
    if (this.now() >= this.validUntil) {
      this.options.logger.warn({ ttlSeconds: this.ttlSeconds }, 'etcd lease not renewed in time: this broker stops leading and controlling until it gets a new one');
      this.expire();
    } else this.arm();
  }

  private expire(): void {
    const lease = this.lease;
    this.lease = null;
    this.validUntil = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    lease?.removeAllListeners();
    lease?.release();
    this.options.onExpired();
  }

  /** Revokes the lease (a clean stop: the broker's keys vanish at once). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const lease = this.lease;
    this.lease = null;
    if (lease) {
      lease.removeAllListeners();
      await lease.revoke().catch((e: unknown) => this.options.logger.warn({ err: e }, 'revoking the etcd lease failed; it expires by itself'));
    }
  }
}
