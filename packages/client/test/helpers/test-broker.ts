/**
 * A real broker in-process for behaviour tests: port 0, a fresh temporary data folder, removed on
 * stop(). `restart()` keeps the folder and the port (to test reconnects).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';
import type { ConfigInput } from '@strata/broker';
import { Strata, silentLogger, type StrataOptions } from '../../src';

export interface TestBroker {
  readonly url: string;
  readonly broker: RunningBroker;
  /** Closes the broker and starts it again on the same port and data folder. */
  restart(): Promise<void>;
  /** Closes the broker only (the folder stays until stop()). */
  close(): Promise<void>;
  /** Starts a closed broker again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestBroker(config: ConfigInput = {}): Promise<TestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-client-test-'));
  let broker: RunningBroker | null = await startBroker({ dataDir, port: 0, config });
  const port = broker.port;
  const url = broker.url;
  const self: TestBroker = {
    url,
    get broker(): RunningBroker {
      if (!broker) throw new Error('broker is closed');
      return broker;
    },
    async close() {
      const b = broker;
      broker = null;
      await b?.close();
    },
    async start() {
      if (broker) return;
      broker = await startBroker({ dataDir, port, config });
    },
    async restart() {
      await self.close();
      await self.start();
    },
    async stop() {
      await self.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

/** A client for `url` with quiet logs and quick retries. */
export function testClient(url: string, options: Partial<StrataOptions> = {}): Strata {
  return new Strata({
    brokers: [url],
    clientId: 'client-test',
    logger: silentLogger,
    retry: { initialRetryTimeMs: 20, maxRetryTimeMs: 200, retries: 10 },
    ...options,
  });
}

let counter = 0;
/** A topic name unique within the test run. */
export function uniqueTopic(prefix = 'topic'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}
