/** A real broker in-process on a free port with a temporary data folder, for CLI tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';

export interface TestBroker {
  broker: RunningBroker;
  url: string;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-test-'));
  const broker = await startBroker({ dataDir, port: 0 });
  return {
    broker,
    url: broker.url,
    async close() {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Lines of `text` without the empty string after the final newline. */
export function lines(text: string): string[] {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}
