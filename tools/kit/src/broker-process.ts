/**
 * The built `strata-broker` binary as a child process, as a user runs it: start it on a port and
 * data folder, measure its CPU, stop it with SIGTERM or kill it with SIGKILL, start it again.
 * The binary must be built (`nx run @strata/broker:build`); tools depend on it through nx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const BROKER_BIN = join(__dirname, '..', '..', '..', 'apps', 'broker', 'dist', 'bin', 'strata-broker.js');
const CLOCK_TICKS_PER_SECOND = 100;

/** A TCP port that was free a moment ago on 127.0.0.1. */
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

export interface BrokerProcessOptions {
  dataDir: string;
  port: number;
  /** Broker settings passed as flags (log.level stays info: start-up is detected from the log). */
  settings?: Record<string, string>;
  /** Keep the broker's stdout and stderr (for debugging); default: discarded after start-up. */
  inheritOutput?: boolean;
  /** The broker script to run (default: this repository's built binary, BROKER_BIN); e.g. another build to compare with. */
  bin?: string;
  /** Extra arguments for node itself, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile the broker. */
  nodeArgs?: string[];
  /** Own process group: Ctrl-C in a terminal reaches only the parent, which stops the broker itself. */
  detached?: boolean;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Called with every line the broker logs after start-up (JSON lines). */
  onLine?: (line: string) => void;
}

export class BrokerProcess {
  private child: ChildProcess | null = null;
  url: string;
  /** How many times start() succeeded. */
  starts = 0;
  /** Output of the last start-up, for error messages. */
  lastOutput = '';

  constructor(private readonly options: BrokerProcessOptions) {
    this.url = `ws://${options.host ?? '127.0.0.1'}:${options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  /** Starts the binary and resolves once it logs that it is listening. */
  async start(): Promise<void> {
    const args = [...(this.options.nodeArgs ?? []), this.options.bin ?? BROKER_BIN, '--data.dir', this.options.dataDir, '--port', String(this.options.port), '--log.level', 'info'];
    if (this.options.host) args.push('--host', this.options.host);
    for (const [k, v] of Object.entries(this.options.settings ?? {})) args.push(`--${k}`, v);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: this.options.detached ?? false });
    this.child = child;
    let output = '';
    this.child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes('"broker started"')) {
          child.stdout?.off('data', onData);
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) => reject(new Error(`broker exited with ${code} during start-up:\n${output}`));
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', onExit);
    });
    this.lastOutput = output;
    const onLine = this.options.onLine;
    if (onLine) {
      let pending = '';
      child.stdout?.on('data', (d: Buffer) => {
        const parts = (pending + d.toString()).split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts) onLine(line);
      });
    }
    if (this.options.inheritOutput) {
      child.stdout?.pipe(process.stdout);
      child.stderr?.pipe(process.stderr);
    } else if (!onLine) {
      child.stdout?.resume();
      child.stderr?.resume();
    } else child.stderr?.resume();
    this.starts++;
  }

  /** CPU seconds (user + system) the broker process has used so far (Linux /proc). */
  cpuSeconds(): number {
    const pid = this.child?.pid;
    if (!pid) return 0;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  /** Resident memory of the broker process in bytes (Linux /proc). */
  rssBytes(): number {
    const pid = this.child?.pid;
    if (!pid) return 0;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  }

  /** SIGSTOP: the process freezes (its etcd lease and connections time out meanwhile). */
  pause(): void {
    if (this.child?.pid && this.child.exitCode === null) process.kill(this.child.pid, 'SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.child?.pid && this.child.exitCode === null) process.kill(this.child.pid, 'SIGCONT');
  }

  /** SIGKILL: no shutdown, no flush, no clean-shutdown marker. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    if (child.pid) process.kill(child.pid, 'SIGCONT'); // a paused process dies only once resumed
    await exited;
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    this.child = null;
    if (!child) return null;
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }
}
