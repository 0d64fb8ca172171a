/**
 * Connecting SDK components (admin, producer, consumer) with a deadline. The SDK retries a refused
 * connection with backoff; the CLI gives up after `--timeout` at the latest, and as soon as every
 * broker refused connections for about half a second (refusal-probe.ts), reporting "cannot connect
 * to any broker" (exit code 3) instead of the SDK's error.
 */
import { StrataConnectionError, StrataRequestTimeoutError } from '@strata/client';
import { BrokerUnreachableError } from './cli-errors';
import { refusedEverywhere } from './refusal-probe';

/** Consecutive rounds in which every broker refused the connection before giving up, and their spacing. */
const REFUSAL_ROUNDS = 3;
const REFUSAL_INTERVAL_MS = 250;

/** Anything with connect() and disconnect(): Admin, Producer, Consumer. */
export interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Connects `component`, failing with BrokerUnreachableError when the connection is refused, the
 * handshake times out, or `timeoutMs` passes first. Other errors pass through unchanged.
 */
export async function connectWithin(component: Connectable, brokers: readonly string[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    // A referenced timer: it also keeps the process alive while the SDK waits between retries.
    timer = setTimeout(() => reject(new BrokerUnreachableError(brokers, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const connecting = component.connect();
  connecting.catch(() => undefined); // it may settle after the deadline won the race
  const probing = new AbortController();
  const refused = refusedEverywhere(brokers, { rounds: REFUSAL_ROUNDS, intervalMs: REFUSAL_INTERVAL_MS, signal: probing.signal }).then((reason) => {
    throw new BrokerUnreachableError(brokers, reason);
  });
  try {
    await Promise.race([connecting, deadline, refused]);
  } catch (error) {
    if (error instanceof BrokerUnreachableError) {
      await component.disconnect().catch(() => undefined);
      throw error;
    }
    if (error instanceof StrataConnectionError || error instanceof StrataRequestTimeoutError) {
      throw new BrokerUnreachableError(brokers, error.message, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    probing.abort();
  }
}
