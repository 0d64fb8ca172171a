/**
 * Child processes of the docs tests. Every child is spawned detached, as the leader of its own
 * process group, so that stopping it also stops what it started (npx -> node, npm start -> nx ->
 * broker); it is stopped only through that group id (its own PID). Every wait has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (closed at once when omitted). */
  input?: string;
}

const running = new Set<Child>();

/** A spawned process whose output is collected. */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<ProcessResult>;
  private readonly process: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private done = false;

  constructor(command: string, args: readonly string[], options: SpawnOptions) {
    this.process = spawn(command, [...args], { cwd: options.cwd, env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(this);
    this.process.stdout!.setEncoding('utf8').on('data', (d: string) => this.append('stdout', d));
    this.process.stderr!.setEncoding('utf8').on('data', (d: string) => this.append('stderr', d));
    this.process.stdin!.on('error', () => undefined); // it may exit before reading its input
    this.process.stdin!.end(options.input ?? '');
    this.exited = new Promise<ProcessResult>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.done) return;
        this.done = true;
        running.delete(this);
        this.notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      };
      this.process.on('error', (error) => {
        this.stderr += `spawn failed: ${error.message}\n`;
        finish(null, null);
      });
      this.process.on('close', finish);
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get hasExited(): boolean {
    return this.done;
  }

  /** Sends `signal` to the child's process group (nothing if it has exited). */
  signalGroup(signal: NodeJS.Signals): void {
    const pid = this.process.pid;
    if (this.done || pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  }

  /** Waits for the exit; after `deadlineMs` kills the group (SIGKILL) and rejects with `what` and the output. */
  async wait(deadlineMs: number, what: string): Promise<ProcessResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.signalGroup('SIGKILL');
        reject(new Error(`${what} did not finish within ${deadlineMs / 1000} s and was killed\n${this.output()}`));
      }, deadlineMs);
    });
    try {
      return await Promise.race([this.exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the output collected so far satisfies `ready`; rejects if the child exits first or after `deadlineMs`. */
  async waitFor(ready: (child: Child) => boolean, deadlineMs: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let check: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not ready within ${deadlineMs / 1000} s\n${this.output()}`)), deadlineMs);
        check = () => {
          if (ready(this)) resolve();
          else if (this.done) reject(new Error(`${what} exited before it was ready\n${this.output()}`));
        };
        this.waiters.add(check);
        check();
      });
    } finally {
      clearTimeout(timer);
      if (check) this.waiters.delete(check);
    }
  }

  /** stdout and stderr, for failure messages. */
  output(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }

  private append(stream: 'stdout' | 'stderr', data: string): void {
    this[stream] += data;
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Kills (SIGKILL, by process group) every child still running; for afterAll hooks. */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const c of left) c.signalGroup('SIGKILL');
  await Promise.all(left.map((c) => c.exited));
}
