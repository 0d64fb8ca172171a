/** Builds internal Connection objects for low-level tests. */
import { Connection, type ConnectionConfig } from '../../src/network/connection';
import { InstrumentationEmitter } from '../../src/instrumentation';
import type { ConnectionEvents } from '../../src/network/connection-events';
import { silentLogger, systemClock, wsTransport } from '../../src';

export function makeConnection(url: string, overrides: Partial<ConnectionConfig> = {}): { connection: Connection; events: InstrumentationEmitter<ConnectionEvents> } {
  const clock = overrides.clock ?? systemClock;
  const events = new InstrumentationEmitter<ConnectionEvents>(clock, silentLogger);
  const connection = new Connection({
    url,
    transport: wsTransport(),
    clientId: 'conn-test',
    clock,
    logger: silentLogger,
    events,
    requestTimeoutMs: 30_000,
    connectionTimeoutMs: 10_000,
    maxInFlightRequests: null,
    maxIncomingFrameBytes: 64 * 1024 * 1024,
    softwareName: 'strata-js',
    softwareVersion: 'test',
    ...overrides,
  });
  return { connection, events };
}

/** The rejection of `promise`, failing the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}
