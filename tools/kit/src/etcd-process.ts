/**
 * A real etcd (Debian's etcd-server, the `etcd` binary) as a child process for cluster tests and
 * the local cluster launcher: a temporary data folder, free loopback ports, started and waited
 * for, stopped by PID. `.ci/run` installs etcd-server when `etcd` is missing; here a missing
 * binary is an error that says so, never a skipped test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './broker-process';

/** Throws, saying how to install it, when the etcd binary is not on PATH. */
export function requireEtcd(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error('the etcd binary is not installed: run `apt-get install -y etcd-server` (Debian; .ci/run does it), or put etcd 3.4+ on PATH');
  }
  return path;
}

export interface EtcdProcessOptions {
  /** Data folder; default: a new temporary folder, removed by stop(). */
  dataDir?: string;
  /** Client port; default: a free one. */
  clientPort?: number;
  /** Peer port; default: a free one (a kept data folder needs the same one each time). */
  peerPort?: number;
  /** Own process group: Ctrl-C in a terminal reaches only the parent, which stops etcd last. */
  detached?: boolean;
}

export class EtcdProcess {
  private child: ChildProcess | null = null;
  private dataDir = '';
  private ownsDir = false;
  clientPort = 0;
  private peerPort = 0;

  constructor(private readonly options: EtcdProcessOptions = {}) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  async start(): Promise<void> {
    const bin = requireEtcd();
    if (!this.dataDir) {
      this.ownsDir = this.options.dataDir === undefined;
      this.dataDir = this.options.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-etcd-'));
    }
    if (!this.clientPort) this.clientPort = this.options.clientPort ?? (await freePort());
    this.peerPort ||= this.options.peerPort ?? (await freePort());
    const peerPort = this.peerPort;
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      bin,
      [
        '--name', 'strata-test',
        '--data-dir', this.dataDir,
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `strata-test=${peer}`,
        '--log-level', 'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: this.options.detached ?? false },
    );
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode} while starting:\n${stderr}`);
      try {
        const res = await fetch(`${client}/health`);
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy within 20 s:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGKILL (an etcd crash); start() brings it back on the same port and data. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  pause(): void {
    if (this.child?.pid && this.child.exitCode === null) process.kill(this.child.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.child?.pid && this.child.exitCode === null) process.kill(this.child.pid, 'SIGCONT');
  }

  /** Stops etcd and removes its data folder (when it made one). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
    if (this.ownsDir && this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || !child.pid) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(child.pid, 'SIGCONT');
      process.kill(child.pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return; // it had exited already
      throw e;
    }
    await exited;
  }
}
