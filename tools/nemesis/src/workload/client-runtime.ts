/**
 * What every client process shares: the SDK client (default options, connecting from the
 * process's own source address so the proxies can cut it alone), a logger that appends the SDK's
 * warnings to the process's log file, its history writer, and the stop signal from the harness.
 *
 * One per client process; event loop only.
 */
import { appendFileSync } from 'node:fs';
import { Strata, wsTransport, type Logger } from '@strata/client';
import { HistoryWriter } from '../history';
import type { ClientSpec } from './client-spec';

export class ClientRuntime {
  readonly strata: Strata;
  readonly history: HistoryWriter;
  private stopRequested = false;
  private readonly stopWaiters: Array<() => void> = [];

  constructor(readonly spec: ClientSpec) {
    this.history = new HistoryWriter(spec.historyPath, spec.name);
    this.strata = new Strata({
      brokers: spec.brokers,
      clientId: spec.name,
      logger: fileLogger(spec.logPath),
      transport: wsTransport({ wsOptions: { localAddress: spec.sourceAddress } }),
    });
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** The harness asked this process to stop (it finishes what is in flight first). */
  requestStop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    for (const w of this.stopWaiters.splice(0)) w();
  }

  /** Resolves after `ms`, or at once when a stop is requested. */
  sleep(ms: number): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.stopWaiters.push(done);
    });
  }

  /** Resolves when a stop is requested. */
  stopped(): Promise<void> {
    return this.stopRequested ? Promise.resolve() : new Promise((resolve) => this.stopWaiters.push(resolve));
  }
}

/** The SDK's log lines at info and above, appended to `path` (one JSON object a line). */
function fileLogger(path: string): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>): void => {
    let extra = '';
    try {
      extra = fields ? JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v)) : '';
    } catch {
      extra = '"(fields not serialisable)"';
    }
    appendFileSync(path, `{"t":${Date.now()},"level":"${level}","msg":${JSON.stringify(message)}${extra ? `,"fields":${extra}` : ''}}\n`);
  };
  return {
    debug: () => undefined,
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
