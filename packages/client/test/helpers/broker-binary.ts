/**
 * The built broker binary (apps/broker/dist/bin/strata-broker.js, built by nx before the tests) as
 * a child process, as users run it, for end-to-end tests that kill it with SIGKILL. Like
 * @strata/tools-kit's BrokerProcess, which client tests may not import (module boundaries).
 * Children are tracked so that a failing test still kills them, by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const BROKER_BIN = join(__dirname, '..', '..', '..', '..', 'apps', 'broker', 'dist', 'bin', 'strata-broker.js');

const children = new Set<ChildProcess>();

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      if (address === null || typeof address === 'string') throw new Error('unexpected address');
      srv.close(() => resolve(address.port));
    });
  });
}

export class BrokerBinary {
  private child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
  ) {
    this.url = `ws://127.0.0.1:${port}`;
  }

  /** Starts the binary; resolves once it logs that it is listening. */
  async start(): Promise<void> {
    if (!existsSync(BROKER_BIN)) throw new Error(`${BROKER_BIN} is missing: build the broker first (nx run @strata/broker:build)`);
    const child = spawn(process.execPath, [BROKER_BIN, '--data.dir', this.dataDir, '--port', String(this.port), '--log.level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (!output.includes('"broker started"')) return;
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null): void => reject(new Error(`the broker exited with ${code} while starting:\n${output}`));
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', onExit);
    });
    child.stdout?.resume();
    child.stderr?.resume();
  }

  /** SIGKILL: no shutdown, no flush. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  /** SIGTERM, waiting for the exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid!, 'SIGTERM');
    await exited;
  }
}

/** Kills (SIGKILL, by PID) every broker child a test left running. */
export function killBrokerChildren(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }
  children.clear();
}
