/**
 * The broker binary in its own process for benchmarks, so its CPU time is measured apart from
 * the client's (a thin layer over @strata/tools-kit's BrokerProcess).
 */
import { BrokerProcess, freePort } from '@strata/tools-kit';

export { freePort };

export class BenchBroker {
  private proc: BrokerProcess | null = null;
  url = '';

  constructor(
    private readonly dataDir: string,
    private readonly settings: Record<string, string>,
    private readonly nodeArgs?: string[],
  ) {}

  async start(): Promise<void> {
    this.proc = new BrokerProcess({ dataDir: this.dataDir, port: await freePort(), settings: this.settings, ...(this.nodeArgs ? { nodeArgs: this.nodeArgs } : {}) });
    await this.proc.start();
    this.url = this.proc.url;
  }

  /** CPU seconds (user + system) the broker process has used so far. */
  cpuSeconds(): number {
    return this.proc?.cpuSeconds() ?? 0;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }
}
