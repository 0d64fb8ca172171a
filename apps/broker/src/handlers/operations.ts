/**
 * Operator APIs that act on storage: SkipCorrupt (`strata partitions skip-corrupt`) rewrites the
 * damaged segments of partitions without their damaged batches and reports the offsets lost.
 */
import { Apis, ERRORS, StrataError, type SkipCorruptPartitionResultInit } from '@strata/protocol';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';

function errorOf(e: unknown): { errorCode: number; errorMessage: string } {
  const err = e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message);
  return { errorCode: err.errorCode, errorMessage: err.message };
}

export function operationHandlers(b: BrokerServices): RequestHandler[] {
  const skipCorrupt = handler<'SkipCorrupt'>(Apis.SkipCorrupt, async (_ctx, req) => ({
    topics: await Promise.all(
      req.topics.map(async (t) => {
        const indexes = t.partitions.length > 0 ? t.partitions : Array.from({ length: b.topics.get(t.name)?.record.partitions ?? 1 }, (_, i) => i);
        const partitions: SkipCorruptPartitionResultInit[] = [];
        for (const index of indexes) {
          try {
            const partition = b.replicas.partition(t.name, index);
            const report = await b.logs.repair(partition.log);
            partitions.push({
              partition: index,
              errorCode: 0,
              scannedSegments: report.scannedSegments,
              repairedSegments: report.repaired.length,
              lost: report.repaired.flatMap((r) => r.lostOffsets.map((l) => ({ fromOffset: l.from, toOffset: l.to }))),
              bytesDropped: report.repaired.reduce((n, r) => n + r.bytesDropped, 0),
            });
          } catch (e) {
            partitions.push({ partition: index, ...errorOf(e) });
          }
        }
        return { name: t.name, partitions };
      }),
    ),
  }));
  return [skipCorrupt] as RequestHandler[];
}
