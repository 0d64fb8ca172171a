/**
 * Runs the built `strata` command (apps/cli/dist/main.js) as a user would: a child process with
 * its own stdin, stdout and stderr. STRATA_* variables of the test environment are removed so
 * each test says what it needs. Every child is tracked and killed by PID in `killAll()` if a test
 * leaves one behind; every run has a deadline, so no test waits forever.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export const CLI_PATH = join(__dirname, '..', '..', 'dist', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (closed at once when omitted). */
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) and fail after this long. @default 20000 */
  deadlineMs?: number;
}

const children = new Set<ChildProcessWithoutNullStreams>();

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRATA_')) env[k] = v;
  return { ...env, ...extra };
}

/** A running CLI process. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    children.add(child);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    child.stderr.on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    child.stdout.on('error', () => undefined); // a test may close it on purpose
    child.stdin.on('error', () => undefined); // the CLI may exit before reading all input
    this.exited = new Promise<CliResult>((resolve) => {
      child.on('close', (code, signal) => {
        children.delete(child);
        this.notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('the CLI process did not start');
    return pid;
  }

  /** Resolves once stdout satisfies `predicate`; rejects if the process exits first or after `deadlineMs`. */
  async waitForStdout(predicate: (stdout: string) => boolean, deadlineMs = 15_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    try {
      return await new Promise<string>((resolve, reject) => {
        timer = setTimeout(() => {
          this.waiters.delete(check);
          reject(new Error(`stdout did not match within ${deadlineMs} ms; stdout: ${JSON.stringify(this.stdout)} stderr: ${JSON.stringify(this.stderr)}`));
        }, deadlineMs);
        const check = (): void => {
          if (predicate(this.stdout)) {
            this.waiters.delete(check);
            resolve(this.stdout);
          } else if (exited || this.child.exitCode !== null) {
            this.waiters.delete(check);
            reject(new Error(`the CLI exited before stdout matched; stdout: ${JSON.stringify(this.stdout)} stderr: ${JSON.stringify(this.stderr)}`));
          }
        };
        this.waiters.add(check);
        check();
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` to this process (by PID) and waits for it to exit. */
  async stop(signal: NodeJS.Signals, deadlineMs = 15_000): Promise<CliResult> {
    process.kill(this.pid, signal);
    return withDeadline(this.exited, deadlineMs, this);
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Starts the CLI with `args`; stdin stays open until the caller ends it. */
export function startCli(args: readonly string[], env?: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  return new CliProcess(child);
}

/** Runs the CLI to completion. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const cli = startCli(args, options.env);
  if (options.input !== undefined) cli.child.stdin.end(options.input);
  else cli.child.stdin.end();
  return withDeadline(cli.exited, options.deadlineMs ?? 20_000, cli);
}

async function withDeadline(exited: Promise<CliResult>, deadlineMs: number, cli: CliProcess): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      if (cli.child.exitCode === null && cli.child.signalCode === null) process.kill(cli.pid, 'SIGKILL');
      reject(new Error(`the CLI did not exit within ${deadlineMs} ms; stdout: ${JSON.stringify(cli.stdout)} stderr: ${JSON.stringify(cli.stderr)}`));
    }, deadlineMs);
  });
  try {
    return await Promise.race([exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills (by PID) every CLI process a test started and left running. */
export function killAll(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }
  children.clear();
}
