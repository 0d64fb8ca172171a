/**
 * The broker binary as a separate process, so its CPU time is measured apart from the client's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', '..', 'apps', 'broker', 'dist', 'bin', 'strata-broker.js');
const CLOCK_TICKS_PER_SECOND = 100;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }; // a TCP server's address
      srv.close(() => resolve(port));
    });
  });
}

export class BenchBroker {
  private child: ChildProcess | null = null;
  url = '';

  constructor(
    private readonly dataDir: string,
    private readonly settings: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const port = await freePort();
    const args = [BIN, '--data.dir', this.dataDir, '--port', String(port), '--log.level', 'warn'];
    for (const [k, v] of Object.entries(this.settings)) args.push(`--${k}`, v);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    this.child = child;
    this.url = `ws://127.0.0.1:${port}`;
    // Wait until the port accepts connections.
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
      if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('broker did not start');
  }

  /** CPU seconds (user + system) the broker process has used so far. */
  cpuSeconds(): number {
    const pid = this.child?.pid;
    if (!pid) return 0;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
