/**
 * The broker's log, through pino: JSON lines (for log collectors) or, for people at a terminal,
 * human-readable lines (pretty-log.ts) with the same fields. The format is chosen by the caller
 * (the command line resolves `log.format` auto from whether stdout is a terminal); library code
 * never looks at the process's streams or environment itself.
 */
import pino, { type Logger } from 'pino';
import { prettyDestination } from './pretty-log';

export type { Logger };

/** How log lines are written: JSON, or human-readable. */
export type LogFormat = 'json' | 'pretty';

export function createLogger(level: string, name = 'strata-broker', format: LogFormat = 'json'): Logger {
  const options = { name, level, base: { pid: process.pid } };
  return format === 'pretty' ? pino(options, prettyDestination(process.stdout)) : pino(options);
}
