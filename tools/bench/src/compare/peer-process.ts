/**
 * PeerProcess: one server process of a peer system (redis-server, nats-server, epmd, rabbitmq-server)
 * started by the benchmark on a loopback port with its own temporary folder, and stopped BY PID:
 * the process and every descendant it has at stop time (RabbitMQ's script starts beam.smp, which
 * starts erl_child_setup and inet_gethost). Each PID is checked against the start time recorded in
 * the snapshot before it is signalled, so a PID reused in between is never hit. Nothing is ever
 * killed by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync, closeSync } from 'node:fs';
import { connect } from 'node:net';

export interface PeerProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** stdout and stderr go here. */
  logFile: string;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  startTime: string;
}

function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (field 3); ppid is field 4, starttime field 22.
    return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return null;
  }
}

/** `pid` and all its descendants, parents first. */
export function processTree(pid: number): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = procInfo(Number(name));
    if (info) all.push(info);
  }
  const root = all.find((p) => p.pid === pid);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const p of all) if (p.ppid === out[i]!.pid) out.push(p);
  return out;
}

function alive(p: ProcInfo): boolean {
  const now = procInfo(p.pid);
  if (!now || now.startTime !== p.startTime) return false;
  try {
    const state = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once a TCP connection to 127.0.0.1:`port` succeeds, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (exited()) throw new Error(`the process exited before port ${port} opened`);
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class PeerProcess {
  private child: ChildProcess | null = null;
  private exitCode: number | null = null;
  private exited = false;

  constructor(readonly options: PeerProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const fd = openSync(this.options.logFile, 'a');
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
    });
    child.on('error', () => (this.exited = true));
    this.child = child;
  }

  async waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
    try {
      await waitForPort(port, timeoutMs, () => this.exited);
    } catch (error) {
      let log = '';
      try {
        log = readFileSync(this.options.logFile, 'utf8').slice(-2000);
      } catch {
        // no log
      }
      throw new Error(`${this.options.name}: ${(error as Error).message} (exit code ${this.exitCode ?? 'none'})\n${log}`);
    }
  }

  /** CPU seconds (user + system) of the process and its live descendants (Linux /proc). */
  cpuSeconds(): number {
    const pid = this.child?.pid;
    if (pid === undefined) return 0;
    let ticks = 0;
    for (const p of processTree(pid)) {
      try {
        const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // gone
      }
    }
    return ticks / 100;
  }

  /**
   * SIGTERM to the process and each descendant it has now (by PID), up to `graceMs` for them to
   * exit, then SIGKILL to those still there.
   */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    const tree = processTree(child.pid);
    const signal = (sig: NodeJS.Signals): void => {
      for (const p of tree) {
        if (!alive(p)) continue;
        try {
          process.kill(p.pid, sig);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (tree.some(alive)) signal('SIGKILL');
    while (!this.exited && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 50));
    this.child = null;
  }
}
