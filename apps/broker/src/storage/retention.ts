/**
 * Retention: which of a log's oldest segments to delete. Only whole closed segments go, oldest
 * first, never the active one:
 * - by time: a segment whose newest record is older than `retention.ms`;
 * - by size: the oldest segments while the log without them is still at least `retention.bytes`.
 */
import type { Log } from './log';

export function segmentsToDelete(log: Log, retentionMs: number, retentionBytes: number, now: number): number {
  const segments = log.segments;
  const closed = segments.length - 1;
  let count = 0;
  if (retentionMs >= 0) {
    while (count < closed && segments[count]!.maxTimestamp < now - retentionMs) count++;
  }
  if (retentionBytes >= 0) {
    let size = 0;
    for (let i = count; i < segments.length; i++) size += segments[i]!.size;
    while (count < closed && size - segments[count]!.size >= retentionBytes) {
      size -= segments[count]!.size;
      count++;
    }
  }
  return count;
}
