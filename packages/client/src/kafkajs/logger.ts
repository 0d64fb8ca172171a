/**
 * KafkaJS logging: the `logLevel` enum, `logCreator` (a function of the level returning the
 * function that writes one entry), the default creator (one JSON object per line on the console,
 * as KafkaJS prints it) and the KafkaJS Logger with namespace() and setLogLevel().
 *
 * The Strata SDK logs through its small Logger interface; `toStrataLogger` routes its lines into
 * a KafkaJS logger, so one logCreator receives both the compatibility layer's and the SDK's lines.
 * Unlike KafkaJS, the KAFKAJS_LOG_LEVEL environment variable is not read (library code never reads
 * the environment): pass `logLevel`.
 */
import type { Logger as StrataLogger, LogFields } from '../logger';

/** KafkaJS's log levels (numbers, as in KafkaJS). */
export const logLevel = Object.freeze({
  NOTHING: 0,
  ERROR: 1,
  WARN: 2,
  INFO: 4,
  DEBUG: 5,
} as const);

// A KafkaJS program uses `logLevel` both as a value and as a type (`level: logLevel`).
export type logLevel = (typeof logLevel)[keyof typeof logLevel];

export interface LoggerEntryContent {
  readonly timestamp: string;
  readonly message: string;
  [key: string]: unknown;
}

export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: LoggerEntryContent;
}

export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void;

export interface Logger {
  info: (message: string, extra?: object) => void;
  error: (message: string, extra?: object) => void;
  warn: (message: string, extra?: object) => void;
  debug: (message: string, extra?: object) => void;
  namespace: (namespace: string, logLevel?: logLevel) => Logger;
  setLogLevel: (logLevel: logLevel) => void;
}

const LEVEL_VALUES = new Set<number>(Object.values(logLevel));

export function isLogLevel(value: unknown): value is logLevel {
  return typeof value === 'number' && LEVEL_VALUES.has(value);
}

/** KafkaJS's default creator: `{"level":"INFO","timestamp":...,"logger":"kafkajs","message":...}` per line. */
export const defaultLogCreator: logCreator = () => (entry) => {
  const prefix = entry.namespace ? `[${entry.namespace}] ` : '';
  const line = JSON.stringify({ level: entry.label, ...entry.log, message: `${prefix}${entry.log.message}` });
  switch (entry.level) {
    case logLevel.ERROR:
      console.error(line);
      break;
    case logLevel.WARN:
      console.warn(line);
      break;
    case logLevel.INFO:
      console.info(line);
      break;
    default:
      console.log(line);
  }
};

/** A KafkaJS logger writing through `creator` at `level` and above (NOTHING: nothing). */
export function createLogger(level: logLevel, creator: logCreator): Logger {
  let current: logLevel = level;
  const write = creator(level);
  const make = (namespace: string, own: logLevel | null): Logger => {
    const at =
      (label: string, lvl: logLevel) =>
      (message: string, extra?: object): void => {
        const threshold = own ?? current;
        if (lvl > threshold) return;
        write({ namespace, level: lvl, label, log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra } });
      };
    return {
      info: at('INFO', logLevel.INFO),
      error: at('ERROR', logLevel.ERROR),
      warn: at('WARN', logLevel.WARN),
      debug: at('DEBUG', logLevel.DEBUG),
      namespace: (name, nsLevel) => make(name, nsLevel ?? null),
      setLogLevel: (next) => {
        current = next;
      },
    };
  };
  return make('', null);
}

/** The Strata SDK's Logger writing into a KafkaJS logger. */
export function toStrataLogger(logger: Logger): StrataLogger {
  const extra = (fields?: LogFields): object | undefined => {
    if (!fields) return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v;
    return out;
  };
  return {
    debug: (m, f) => logger.debug(m, extra(f)),
    info: (m, f) => logger.info(m, extra(f)),
    warn: (m, f) => logger.warn(m, extra(f)),
    error: (m, f) => logger.error(m, extra(f)),
  };
}
