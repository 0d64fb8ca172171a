/**
 * Produce: validate each partition's batches completely (lengths, CRC-32C, sizes, every record,
 * compressed payloads decompressed within a bound: records/produce-validation.ts), append
 * them (offsets stamped in place, bytes written verbatim; an idempotent producer's retry of a batch
 * already appended is answered with the original offset instead), then answer when the
 * acknowledgement asked for holds: acks=0 never, acks=1 once written to the OS, acks=-1 once durable (fsynced
 * when durability=fsync). Validation and offset assignment run synchronously, in arrival order,
 * so requests on one connection land in the log in the order they were sent.
 */
import { Apis, ERRORS, StrataError, type ProducePartitionResultInit, type ProduceTopicResultInit } from '@strata/protocol';
import { validateProducedRecords } from '../records/produce-validation';
import { LeadershipError } from '../replication/replica-manager';
import { NO_RESPONSE, handler, type BrokerServices, type RequestHandler } from '../server/handler';

function failure(e: unknown): { errorCode: number; errorMessage: string; currentLeader?: { leaderId: number; leaderEpoch: number } } {
  if (e instanceof LeadershipError) return { errorCode: e.errorCode, errorMessage: e.message, currentLeader: { leaderId: e.leaderId, leaderEpoch: e.leaderEpoch } };
  if (e instanceof StrataError) return { errorCode: e.errorCode, errorMessage: e.message };
  return { errorCode: ERRORS.UNKNOWN_SERVER_ERROR.code, errorMessage: (e as Error).message };
}

/**
 * Waits for `waits` (each settles its own partition's result), at most `ms` (0: no limit); then
 * marks the partitions still waiting as timed out. One timer per request, not one per partition:
 * a produce to 40 partitions made 40 timers and 40 promise chains, a tenth of the broker's
 * garbage under many small batches.
 */
async function settleWithin(waits: Array<Promise<void>>, pending: Map<ProducePartitionResultInit, string>, ms: number): Promise<void> {
  const all = Promise.all(waits);
  if (ms <= 0) {
    await all;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([all, expired]);
  clearTimeout(timer);
  for (const [result, topic] of pending) {
    Object.assign(result, failure(new StrataError(ERRORS.REQUEST_TIMED_OUT, `produce to ${topic}-${result.partition} not acknowledged within ${ms} ms`)), { baseOffset: -1 });
  }
  pending.clear();
}

export function produceHandler(b: BrokerServices): RequestHandler {
  return handler<'Produce'>(Apis.Produce, async (_ctx, req) => {
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      throw new StrataError(ERRORS.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1 (all), got ${req.acks}`);
    }
    if (req.transactionalId) throw new StrataError(ERRORS.INVALID_REQUEST, 'transactions are not supported by this broker');
    const durable = req.acks === -1 && b.config.durability === 'fsync';
    const waits: Array<Promise<void>> = [];
    /** Results still waiting for their acknowledgement, and their topics. */
    const pending = new Map<ProducePartitionResultInit, string>();
    const topics: ProduceTopicResultInit[] = req.topics.map((t) => {
      const topic = b.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const result: ProducePartitionResultInit = { partition: p.partition, errorCode: 0, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
          if (topic?.record.internal) {
            result.errorCode = ERRORS.INVALID_TOPIC_EXCEPTION.code;
            result.errorMessage = `topic "${t.name}" is internal: only the broker writes to it`;
            return result;
          }
          try {
            const partition = b.replicas.leader(t.name, p.partition, p.currentLeaderEpoch ?? -1);
            const config = partition.log.config;
            const batches = validateProducedRecords(p.records, { maxBatchBytes: config.maxMessageBytes, maxUncompressedBytes: b.config.maxFrameBytes, requireKeys: config.compact });
            const { result: appended, acknowledged } = partition.appendAsLeader(batches, req.acks, durable);
            result.baseOffset = appended.baseOffset;
            result.logStartOffset = partition.log.logStartOffset;
            if (!appended.duplicate) {
              let records = 0;
              for (const batch of batches) records += batch.header.recordCount;
              b.metrics.bytesIn.inc({ topic: t.name }, p.records.length);
              b.metrics.recordsIn.inc({ topic: t.name }, records);
            }
            if (req.acks !== 0) {
              pending.set(result, t.name);
              waits.push(
                acknowledged.then(
                  () => void pending.delete(result),
                  (e: unknown) => {
                    if (pending.delete(result)) Object.assign(result, failure(e), { baseOffset: -1 });
                  },
                ),
              );
            }
          } catch (e) {
            Object.assign(result, failure(e));
          }
          return result;
        }),
      };
    });
    if (req.acks === 0) return NO_RESPONSE;
    await settleWithin(waits, pending, req.timeoutMs);
    return { topics, throttleMs: 0 };
  });
}
