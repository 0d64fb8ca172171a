/**
 * ListOffsets for a set of partitions of one topic: groups them by leader, sends one request per
 * leader, and returns offsets by partition. Partition errors are thrown (the first one), after
 * invalidating the topic's metadata when they mean it is stale. No retries here: callers wrap it.
 */
import { ERRORS, errorFromCode, type StrataError } from '@strata/protocol';
import { StrataAggregateError } from '../errors';
import { isStaleMetadataError, type Cluster } from './cluster';

export interface ListedOffset {
  partition: number;
  offset: number;
  /** Timestamp of the record found, -1 for EARLIEST/LATEST. */
  timestamp: number;
}

/** `timestamp`: OffsetSpec.LATEST (-1), OffsetSpec.EARLIEST (-2), or milliseconds since the epoch. */
export async function listOffsets(cluster: Cluster, topic: string, partitions: readonly number[], timestamp: number): Promise<Map<number, ListedOffset>> {
  const byLeader = new Map<number, number[]>();
  for (const partition of partitions) {
    const leader = await cluster.leaderIdFor(topic, partition);
    const list = byLeader.get(leader) ?? [];
    list.push(partition);
    byLeader.set(leader, list);
  }
  const result = new Map<number, ListedOffset>();
  const errors: StrataError[] = [];
  await Promise.all(
    [...byLeader].map(async ([leader, list]) => {
      const response = await cluster.broker(leader).request('ListOffsets', {
        replicaId: -1,
        topics: [{ name: topic, partitions: list.map((partition) => ({ partition, timestamp })) }],
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) {
            errors.push(errorFromCode(p.errorCode, `${topic}-${p.partition}: ${p.errorMessage || errorFromCode(p.errorCode).message}`));
            continue;
          }
          result.set(p.partition, { partition: p.partition, offset: p.offset, timestamp: p.timestamp });
        }
      }
    }),
  ).catch((error: unknown) => {
    if (isStaleMetadataError(error)) cluster.invalidate(topic);
    throw error;
  });
  if (errors.length > 0) {
    if (errors.some(isStaleMetadataError)) cluster.invalidate(topic);
    throw errors.length === 1 ? errors[0] : new StrataAggregateError(errors, `ListOffsets failed for ${errors.length} partitions of "${topic}"`);
  }
  for (const partition of partitions) {
    if (!result.has(partition)) throw errorFromCode(ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, `${topic}-${partition}: missing from the ListOffsets response`);
  }
  return result;
}
