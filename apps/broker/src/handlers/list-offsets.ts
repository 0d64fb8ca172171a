/**
 * ListOffsets: per partition, -2 (earliest) gives the log start offset, -1 (latest) the high
 * watermark, a timestamp >= 0 the first offset whose record timestamp is >= it (offset and
 * timestamp -1 when every record is older), found through the time index.
 */
import { Apis, ERRORS, OffsetSpec, StrataError, type ListOffsetsPartitionResultInit } from '@strata/protocol';
import { recordsSection } from '../compression';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';

export function listOffsetsHandler(b: BrokerServices): RequestHandler {
  return handler<'ListOffsets'>(Apis.ListOffsets, async (_ctx, req) => ({
    topics: await Promise.all(
      req.topics.map(async (t) => {
        const partitions = await Promise.all(
          t.partitions.map(async (p): Promise<ListOffsetsPartitionResultInit> => {
            let partition;
            try {
              partition = b.replicas.leader(t.name, p.partition);
            } catch (e) {
              const err = e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message);
              return { partition: p.partition, errorCode: err.errorCode, errorMessage: err.message, offset: -1, timestamp: -1 };
            }
            const log = partition.log;
            const base = { partition: p.partition, errorCode: 0, leaderEpoch: partition.leaderEpoch };
            if (p.timestamp === OffsetSpec.LATEST) return { ...base, offset: log.highWatermark, timestamp: -1 };
            if (p.timestamp === OffsetSpec.EARLIEST) return { ...base, offset: log.logStartOffset, timestamp: -1 };
            if (p.timestamp < 0) {
              return { ...base, errorCode: ERRORS.INVALID_REQUEST.code, errorMessage: `unsupported offset spec ${p.timestamp}`, offset: -1, timestamp: -1 };
            }
            try {
              const found = await log.offsetForTimestamp(p.timestamp, recordsSection);
              return found ? { ...base, offset: found.offset, timestamp: found.timestamp } : { ...base, offset: -1, timestamp: -1 };
            } catch (e) {
              const err = e instanceof StrataError ? e : new StrataError(ERRORS.KAFKA_STORAGE_ERROR, (e as Error).message);
              return { ...base, errorCode: err.errorCode, errorMessage: err.message, offset: -1, timestamp: -1 };
            }
          }),
        );
        return { name: t.name, partitions };
      }),
    ),
  }));
}
