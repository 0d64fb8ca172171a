/**
 * What the server tells the app in config.json: which brokers to connect to (empty: the page's own
 * origin, as when the broker serves the console) and how often to refresh. Anything else in the
 * file is an error, so a typo never goes unnoticed.
 */
import { consoleLogger, type Logger } from '@strata/client';

export interface ConsoleConfig {
  brokers: readonly string[];
  /** Milliseconds between refreshes of the cluster view. */
  refreshMs: number;
  logger: Logger;
}

export const DEFAULT_REFRESH_MS = 2000;

/** Parses config.json; throws an Error naming the problem. */
export function parseConsoleConfig(json: unknown): ConsoleConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('config.json: expected an object');
  const { brokers = [], refreshMs = DEFAULT_REFRESH_MS, ...rest } = json as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`config.json: unknown setting "${unknown[0]}"; known: brokers, refreshMs`);
  if (!Array.isArray(brokers) || !brokers.every((b) => typeof b === 'string' && /^wss?:\/\/./.test(b))) throw new Error('config.json: "brokers" must be a list of ws:// or wss:// URLs');
  if (typeof refreshMs !== 'number' || !Number.isInteger(refreshMs) || refreshMs < 100) throw new Error('config.json: "refreshMs" must be an integer of at least 100');
  return { brokers, refreshMs, logger: consoleLogger('warn') };
}
