/**
 * Runs the built `strata-broker` binary as a child process, as a user would, and can kill it
 * with SIGKILL and start it again on the same port and data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const BROKER_BIN = join(__dirname, '..', '..', '..', 'apps', 'broker', 'dist', 'bin', 'strata-broker.js');

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

export class BrokerProcess {
  private child: ChildProcess | null = null;
  readonly url: string;
  starts = 0;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly settings: Record<string, string> = {},
  ) {
    this.url = `ws://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the binary and resolves once it logs that it is listening. */
  async start(): Promise<void> {
    const args = [BROKER_BIN, '--data.dir', this.dataDir, '--port', String(this.port), '--log.level', 'info'];
    for (const [k, v] of Object.entries(this.settings)) args.push(`--${k}`, v);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('"broker started"')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', (code) => reject(new Error(`broker exited with ${code} during start-up:\n${output}`)));
    });
    child.stdout?.resume();
  }

  /** SIGKILL: no shutdown, no flush, no clean-shutdown marker. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    this.child = null;
    return exited;
  }
}
