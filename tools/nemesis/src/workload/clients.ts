/**
 * The harness's side of the client processes: fork one per ClientSpec (the compiled
 * client-main.js, with an IPC channel and its output in its log file), wait until it is ready,
 * ask producers for probes, stop it (it finishes what is in flight, writes `done` and exits), or
 * kill it. Each process is ended by its PID, never by name.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientSpec, FromClient, ToClient } from './client-spec';

/** The compiled entry point (this package's build), from src/workload (jest) as from dist/workload. */
export const CLIENT_MAIN = join(__dirname, '..', '..', 'dist', 'workload', 'client-main.js');

export interface ProbeOutcome {
  ok: boolean;
  ms: number;
  error?: string;
}

export class ClientProcess {
  private child: ChildProcess | null = null;
  private nextProbe = 1;
  private readonly probes = new Map<number, (outcome: ProbeOutcome) => void>();
  private exited: Promise<number | null> = Promise.resolve(null);
  summary: Record<string, number> | null = null;
  crash: string | null = null;

  constructor(readonly spec: ClientSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Forks the process; resolves once it says it is ready. */
  async start(): Promise<void> {
    const out = openSync(this.spec.logPath, 'a');
    const child = fork(CLIENT_MAIN, [JSON.stringify(this.spec)], { stdio: ['ignore', out, out, 'ipc'] });
    closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (m: FromClient) => this.onMessage(m));
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromClient) => {
        if (m.type === 'ready') {
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) => reject(new Error(`client ${this.spec.name} exited with ${code} while starting${this.crash ? `: ${this.crash}` : ''} (see ${this.spec.logPath})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  private onMessage(m: FromClient): void {
    if (m.type === 'done') this.summary = m.summary;
    else if (m.type === 'crashed') this.crash = m.error;
    else if (m.type === 'probed') {
      const resolve = this.probes.get(m.id);
      this.probes.delete(m.id);
      resolve?.({ ok: m.ok, ms: m.ms, ...(m.error ? { error: m.error } : {}) });
    }
  }

  private post(message: ToClient): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    child.send(message);
    return true;
  }

  /** Producers: one acks=all send to `partition` from a fresh producer (see ProducerWorker.probe). */
  probe(partition: number, isr: number[]): Promise<ProbeOutcome> {
    const id = this.nextProbe++;
    return new Promise((resolve) => {
      this.probes.set(id, resolve);
      if (!this.post({ type: 'probe', id, partition, isr })) {
        this.probes.delete(id);
        resolve({ ok: false, ms: 0, error: `client ${this.name} is not running` });
      }
    });
  }

  /** Asks the process to stop; waits for it to exit (SIGKILL after `graceMs`). Resolves with its exit code. */
  async stop(graceMs = 60_000): Promise<number | null> {
    if (!this.child) return null;
    this.post({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.crash ??= `did not stop within ${graceMs} ms; killed`;
      await this.kill();
      return null;
    }
    this.child = null;
    return outcome;
  }

  /** Waits for the process to end by itself (the final reader). */
  async finished(): Promise<number | null> {
    const code = await this.exited;
    this.child = null;
    return code;
  }

  /** SIGKILL. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = this.exited;
    if (child.pid) process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}
