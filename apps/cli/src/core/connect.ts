/**
 * Connecting SDK components (admin, producer, consumer) with a deadline. The SDK retries a refused
 * connection with backoff; the CLI gives up after `--timeout` at the latest and reports "cannot
 * connect to any broker" (exit code 3) instead of the SDK's error.
 */
import { StrataConnectionError, StrataRequestTimeoutError } from '@strata/client';
import { BrokerUnreachableError } from './cli-errors';

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
  try {
    await Promise.race([connecting, deadline]);
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
  }
}
