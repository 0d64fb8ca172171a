/**
 * Checks shared by every KafkaJS-shaped argument: unknown keys are refused by name (a typo is never
 * silently ignored), options this layer cannot honour are refused with KafkaJSNotImplemented, and
 * the small value conversions KafkaJS programs rely on (string offsets and timestamps, the retry
 * shape).
 */
import type { RetryOptions as StrataRetryOptions } from '../retry';
import { invalidOption, notSupported } from './errors';

/** Throws when `value` has a key outside `allowed`, naming it. */
export function checkKeys(value: unknown, allowed: readonly string[], where: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object') throw invalidOption(where, `expected an object, got ${typeof value}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalidOption(`${where}.${key}`, `unknown option (KafkaJS ${where} options this layer knows: ${allowed.join(', ')})`);
    }
  }
}

/** Throws KafkaJSNotImplemented for each listed key that is set (not undefined). */
export function refuse(value: object | undefined, keys: Readonly<Record<string, string>>, where: string): void {
  if (!value) return;
  for (const [key, why] of Object.entries(keys)) {
    if ((value as Record<string, unknown>)[key] !== undefined) throw notSupported(`${where}.${key}`, why);
  }
}

/** An offset as KafkaJS passes it (a decimal string, or a number), as a number. */
export function parseOffset(value: unknown, option: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalidOption(option, `expected an offset (a string of digits, e.g. '42'), got ${JSON.stringify(value)}`);
  return n;
}

/** A timestamp in ms since the epoch as KafkaJS passes it (string or number). */
export function parseTimestamp(value: unknown, option: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalidOption(option, `expected milliseconds since the epoch (e.g. Date.now().toString()), got ${JSON.stringify(value)}`);
  return n;
}

/** KafkaJS retry options. */
export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  /** Consumers only: after a crash, resolve true to restart consumption. */
  restartOnFailure?: (e: Error) => Promise<boolean>;
}

const RETRY_KEYS = ['maxRetryTime', 'initialRetryTime', 'factor', 'multiplier', 'retries', 'restartOnFailure'] as const;

/** KafkaJS retry options as Strata's (field by field; the SDK validates the values). */
export function toStrataRetry(retry: RetryOptions | undefined, where: string, allowRestart: boolean): Partial<StrataRetryOptions> | undefined {
  if (retry === undefined) return undefined;
  checkKeys(retry, RETRY_KEYS, `${where}.retry`);
  if (!allowRestart && retry.restartOnFailure !== undefined) throw invalidOption(`${where}.retry.restartOnFailure`, 'only consumers restart after a failure');
  const out: Partial<StrataRetryOptions> = {};
  if (retry.maxRetryTime !== undefined) out.maxRetryTimeMs = retry.maxRetryTime;
  if (retry.initialRetryTime !== undefined) out.initialRetryTimeMs = retry.initialRetryTime;
  if (retry.factor !== undefined) out.factor = retry.factor;
  if (retry.multiplier !== undefined) out.multiplier = retry.multiplier;
  if (retry.retries !== undefined) out.retries = retry.retries;
  return out;
}
