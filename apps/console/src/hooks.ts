/**
 * Preact hooks shared by the pages: the monitor's state, and the status of an action (a button
 * that calls the broker) with its error.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Monitor, MonitorState } from './monitor';

/** The monitor's latest state; re-renders after every poll. */
export function useMonitor(monitor: Monitor): MonitorState {
  const [state, setState] = useState(monitor.current());
  useEffect(() => {
    setState(monitor.current());
    return monitor.subscribe(setState);
  }, [monitor]);
  return state;
}

export interface Action<A extends unknown[]> {
  run: (...args: A) => Promise<boolean>;
  busy: boolean;
  error: string | null;
  /** A message about the last success, for a live region. */
  done: string | null;
  reset: () => void;
}

/**
 * Wraps an async operation: `run` resolves true when it succeeded; while it runs `busy` is true;
 * its failure message stays in `error` until the next run or reset().
 */
export function useAction<A extends unknown[]>(fn: (...args: A) => Promise<string>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      setDone(null);
      try {
        setDone(await fn(...args));
        return true;
      } catch (e) {
        setError(errorText(e));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [fn],
  );
  const reset = useCallback(() => {
    setError(null);
    setDone(null);
  }, []);
  return { run, busy, error, done, reset };
}

/** An error as an operator reads it: the SDK's code name first when there is one. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
