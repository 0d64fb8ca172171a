/**
 * How a new user calls a producer SDK, with default options: the three patterns of the
 * "default options" rows, the same for every system (a system only says how to send a list of
 * values and wait for their acknowledgement).
 *
 *   one in flight  `for (...) await send(1,000 messages)`
 *   8 in flight    eight such loops at once
 *   concurrent     1,000 single-record sends outstanding at any time (`await send(1 message)` x 1,000 loops)
 *
 * Each pattern sends `records` records of `recordSize` bytes to one stream / topic partition and
 * counts the time until the last acknowledgement.
 */
import { now, ownCpuSeconds } from './types';

export type UsagePattern = 'one in flight' | '8 in flight' | 'concurrent';

export const USAGE_PATTERNS: readonly UsagePattern[] = ['one in flight', '8 in flight', 'concurrent'];

/** What a pattern does, for the settings line and the table. */
export const USAGE_LABELS: Record<UsagePattern, string> = {
  'one in flight': '`await send()` of 1,000 records in a loop',
  '8 in flight': '8 such loops at once',
  concurrent: '1,000 concurrent single-record sends',
};

/** Sends `values` (one call of the SDK) and resolves once they are acknowledged. */
export type SendFn<V> = (values: readonly V[]) => Promise<unknown>;

export interface UsageResult {
  pattern: UsagePattern;
  records: number;
  seconds: number;
  clientCpuSeconds: number;
}

function shape(pattern: UsagePattern): { loops: number; perSend: number } {
  if (pattern === 'one in flight') return { loops: 1, perSend: 1000 };
  if (pattern === '8 in flight') return { loops: 8, perSend: 1000 };
  return { loops: 1000, perSend: 1 };
}

/** Runs one pattern: `loops` loops, each awaiting `send` of `perSend` values until `records` are sent. */
export async function driveUsage<V>(pattern: UsagePattern, records: number, values: readonly V[], send: SendFn<V>): Promise<UsageResult> {
  const { loops, perSend } = shape(pattern);
  // Pre-built argument lists, so that the figure measures the SDK, not this loop.
  const lists: V[][] = Array.from({ length: 64 }, (_, k) => Array.from({ length: perSend }, (_, i) => values[(k * perSend + i) % values.length]!));
  let next = 0;
  let k = 0;
  const c0 = ownCpuSeconds();
  const t0 = now();
  const loop = async (): Promise<void> => {
    while (next < records) {
      const n = Math.min(perSend, records - next);
      next += n;
      const list = lists[k++ & 63]!;
      await send(n === perSend ? list : list.slice(0, n));
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  return { pattern, records, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0 };
}
