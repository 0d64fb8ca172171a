/**
 * Opens a transport connection within a deadline measured on the injected clock. A connection that
 * opens after the deadline is closed at once; failures become retriable StrataConnectionErrors.
 */
import type { Clock, TimerHandle } from '../clock';
import { StrataConnectionError, toError } from '../errors';
import type { Transport, TransportConnectOptions, TransportConnection } from '../transport/transport';

export async function openTransport(
  transport: Transport,
  url: string,
  clock: Clock,
  options: TransportConnectOptions,
): Promise<TransportConnection> {
  let timer: TimerHandle;
  let timedOut = false;
  const opening = transport.connect(url, options);
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      timedOut = true;
      reject(new StrataConnectionError(`connecting to ${url} timed out after ${options.connectTimeoutMs} ms`, { url }));
    }, options.connectTimeoutMs);
  });
  try {
    return await Promise.race([opening, timeout]);
  } catch (error) {
    if (timedOut) opening.then((late) => late.close(), () => undefined);
    if (error instanceof StrataConnectionError) throw error;
    throw new StrataConnectionError(`could not connect to ${url}: ${toError(error).message}`, { url, cause: error });
  } finally {
    clock.clearTimeout(timer);
  }
}
