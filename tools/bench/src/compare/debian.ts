/**
 * Debian packages of the peers: installed with apt-get when a peer is asked for and its server is
 * missing. Package scripts must not start system services on the default ports: when the machine
 * has no /usr/sbin/policy-rc.d, a temporary one that refuses service starts is put in place for the
 * install and removed afterwards (one that exists is left alone).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PEER_PACKAGES: Record<string, { pkg: string; binary: string }> = {
  redis: { pkg: 'redis-server', binary: 'redis-server' },
  nats: { pkg: 'nats-server', binary: 'nats-server' },
  rabbitmq: { pkg: 'rabbitmq-server', binary: '/usr/lib/rabbitmq/bin/rabbitmq-server' },
};

/** True when `binary` (a path, or a name looked up in PATH) exists. */
function installed(binary: string): boolean {
  if (binary.startsWith('/')) return existsSync(binary);
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return dirs.some((d) => d.length > 0 && existsSync(join(d, binary)));
}

const POLICY = '/usr/sbin/policy-rc.d';

/** Installs the Debian packages of `peers` whose server binary is missing; returns what it installed. */
export function ensurePeerPackages(peers: readonly string[], log: (line: string) => void): string[] {
  const missing = peers.map((p) => PEER_PACKAGES[p]).filter((p): p is { pkg: string; binary: string } => p !== undefined && !installed(p.binary));
  if (missing.length === 0) return [];
  const pkgs = missing.map((m) => m.pkg);
  log(`installing Debian packages: ${pkgs.join(' ')}`);
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# temporary (Strata benchmark): no service starts during the install\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
  return pkgs;
}
