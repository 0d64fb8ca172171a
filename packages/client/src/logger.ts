/**
 * Logging: the SDK logs through a small Logger interface so applications can plug in pino, winston
 * or their own. The default writes warnings and errors to the console.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'nothing';

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, nothing: 100 };

/** A logger writing to `console` at `level` and above, prefixed with `[strata]`. */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const min = RANK[level];
  const write = (lvl: Exclude<LogLevel, 'nothing'>, message: string, fields?: LogFields): void => {
    if (RANK[lvl] < min) return;
    const line = `[strata] ${lvl.toUpperCase()} ${message}`;
    const method = lvl === 'debug' ? 'log' : lvl;
    if (fields && Object.keys(fields).length > 0) console[method](line, fields);
    else console[method](line);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
