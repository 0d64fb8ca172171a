import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../src';
import { tempDir } from './tmp';

/** Starts an in-process broker on a free port with a temporary data folder. */
export async function testBroker(options: StartBrokerOptions = {}): Promise<RunningBroker & { cleanup: () => Promise<void>; restart: () => Promise<RunningBroker> }> {
  const tmp = options.dataDir ? null : tempDir();
  const dataDir = options.dataDir ?? tmp!.dir;
  const broker = await startBroker({ port: 0, ...options, dataDir });
  return Object.assign(broker, {
    cleanup: async () => {
      await broker.close();
      tmp?.cleanup();
    },
    restart: async () => {
      await broker.close();
      return startBroker({ port: 0, ...options, dataDir });
    },
  });
}
