/** Structured JSON logging with pino. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'strata-broker'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
