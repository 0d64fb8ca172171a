/**
 * ConnectionLimits: admission of TCP connections by count, overall (`max.connections`) and per
 * client address (`max.connections.per.ip`). Every accepted socket counts (WebSocket clients and
 * HTTP /metrics scrapes alike) from accept to close, because each holds a file descriptor.
 *
 * The overall limit is also capped by the process's descriptor limit (`ulimit -n`), keeping
 * `log.open.files.max` segment files plus FD_RESERVE descriptors for the broker's own files
 * (checkpoints, metadata, directories, the cleaner), so that connections can never take the
 * descriptors a checkpoint needs.
 * Single-threaded.
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept for the broker's own files beyond log.open.files.max (and Node's own). */
export const FD_RESERVE = 64;

/** Soft limit of open files of this process (Linux: /proc/self/limits), or null when unknown. */
export function readDescriptorLimit(): number | null {
  try {
    const text = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s+/m.exec(text);
    if (!m || m[1] === 'unlimited') return null;
    return Number(m[1]);
  } catch {
    return null;
  }
}

export interface ConnectionLimitsOptions {
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Segment files the log may keep open (log.open.files.max). */
  maxOpenFiles: number;
  /** The process's descriptor limit; null: unknown (no cap). */
  descriptorLimit: number | null;
}

export type Admission = { ok: true } | { ok: false; reason: 'max-connections' | 'max-connections-per-ip'; message: string };

export class ConnectionLimits {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  /** The overall limit in force (max.connections, lowered to fit the descriptor limit). */
  readonly maxConnections: number;
  /** Set when max.connections was lowered to fit the descriptor limit. */
  readonly loweredFrom: number | null;

  constructor(private readonly options: ConnectionLimitsOptions) {
    const { descriptorLimit, maxOpenFiles } = options;
    let max = options.maxConnections;
    let lowered: number | null = null;
    if (descriptorLimit !== null) {
      // Keep room for the log's files and the reserve; with a very low limit still admit some.
      const budget = Math.max(descriptorLimit - maxOpenFiles - FD_RESERVE, Math.floor(descriptorLimit / 4), 1);
      if (budget < max) {
        lowered = max;
        max = budget;
      }
    }
    this.maxConnections = max;
    this.loweredFrom = lowered;
  }

  get count(): number {
    return this.total;
  }

  /** Admits a connection from `ip` (and counts it) or says why not. */
  admit(ip: string): Admission {
    if (this.total >= this.maxConnections) {
      return { ok: false, reason: 'max-connections', message: `the broker has ${this.total} connections, the most it accepts (max.connections)` };
    }
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.options.maxConnectionsPerIp) {
      return { ok: false, reason: 'max-connections-per-ip', message: `${ip} has ${n} connections, the most one address may open (max.connections.per.ip)` };
    }
    this.total++;
    this.perIp.set(ip, n + 1);
    return { ok: true };
  }

  /** Forgets a connection admitted from `ip`. */
  release(ip: string): void {
    this.total--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }
}
