/**
 * Fetch: return stored batches verbatim from each requested partition. When fewer than
 * `minBytes` are available, the request parks until enough data is written to one of its
 * partitions, the wait ends, or the connection closes: no polling, the logs wake it.
 *
 * Byte limits: each partition returns at most `partitionMaxBytes`, the whole response at most
 * `maxBytes`, except that the first partition with data returns at least one whole batch even
 * when it is larger (so a consumer always makes progress).
 */
import { Apis, ERRORS, StrataError, type FetchRequest, type FetchTopicResultInit, type FetchPartitionResultInit } from '@strata/protocol';
import { handler, type BrokerServices, type RequestContext, type RequestHandler } from '../server/handler';
import { LeadershipError } from '../replication/replica-manager';
import type { Log } from '../storage/log';
import type { BufferLease } from '../util/buffer-pool';

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_PARTITION_MAX_BYTES = 1024 * 1024;
/** Room kept in a frame for everything but record bytes. */
const FRAME_HEADROOM = 64 * 1024;

function errorOf(e: unknown): { errorCode: number; errorMessage: string; currentLeader?: { leaderId: number; leaderEpoch: number } } {
  if (e instanceof LeadershipError) return { errorCode: e.errorCode, errorMessage: e.message, currentLeader: { leaderId: e.leaderId, leaderEpoch: e.leaderEpoch } };
  const err = e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message);
  return { errorCode: err.errorCode, errorMessage: err.message };
}

interface PartitionRead {
  result: FetchPartitionResultInit;
  log: Log | null;
  endSegment: number;
  endPosition: number;
  /**
   * A consumer of a replicated log waits for the high watermark to pass this offset (data written
   * but not replicated yet must not wake it); -1: wait for bytes written (followers, single broker).
   */
  waitForHwAbove: number;
}

interface ReadOutcome {
  topics: FetchTopicResultInit[];
  reads: PartitionRead[];
  bytes: number;
  errors: number;
}

async function readAll(b: BrokerServices, req: FetchRequest, maxBytes: number, lease: BufferLease): Promise<ReadOutcome> {
  const outcome: ReadOutcome = { topics: [], reads: [], bytes: 0, errors: 0 };
  for (const t of req.topics) {
    const partitions: FetchPartitionResultInit[] = [];
    for (const p of t.partitions) {
      const result: FetchPartitionResultInit = { partition: p.partition, errorCode: 0, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
      partitions.push(result);
      let log: Log;
      const follower = req.replicaId >= 0;
      try {
        const partition = b.replicas.leader(t.name, p.partition, p.currentLeaderEpoch);
        // A follower's fetch offset is its log end offset: it moves the high watermark and the ISR.
        if (follower) partition.recordFollowerFetch(req.replicaId, p.fetchOffset);
        log = partition.log;
      } catch (e) {
        Object.assign(result, errorOf(e));
        outcome.errors++;
        continue;
      }
      const position = log.writtenPosition;
      const read: PartitionRead = { result, log, endSegment: position.segment, endPosition: position.position, waitForHwAbove: !follower && log.isReplicated ? p.fetchOffset : -1 };
      outcome.reads.push(read);
      const remaining = maxBytes - outcome.bytes;
      const limit = Math.min(p.partitionMaxBytes > 0 ? p.partitionMaxBytes : DEFAULT_PARTITION_MAX_BYTES, Math.max(remaining, 0));
      try {
        if (limit <= 0 && outcome.bytes > 0) {
          result.highWatermark = result.lastStableOffset = log.highWatermark;
          result.logStartOffset = log.logStartOffset;
          continue;
        }
        // From memory when possible: no promise per partition for the common fetch at the end of the log.
        const limitTo = follower ? 'written' : 'high-watermark';
        const r = log.readNow(p.fetchOffset, Math.max(limit, 1), outcome.bytes === 0, limitTo, lease.alloc) ?? (await log.read(p.fetchOffset, Math.max(limit, 1), outcome.bytes === 0, limitTo, lease.alloc));
        result.records = r.records;
        result.highWatermark = result.lastStableOffset = r.highWatermark;
        result.logStartOffset = r.logStartOffset;
        read.endSegment = r.endSegment;
        read.endPosition = r.endPosition;
        outcome.bytes += r.records.length;
        b.metrics.fetched(t.name, r.records);
      } catch (e) {
        Object.assign(result, errorOf(e));
        result.highWatermark = result.lastStableOffset = log.highWatermark;
        result.logStartOffset = log.logStartOffset;
        outcome.errors++;
      }
    }
    outcome.topics.push({ name: t.name, partitions });
  }
  return outcome;
}

/** Resolves when enough bytes arrive for `reads`, after `maxWaitMs`, or when the connection closes. */
function park(ctx: RequestContext, reads: PartitionRead[], minBytes: number, maxWaitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe: Array<() => void> = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve();
    };
    const timer = setTimeout(finish, maxWaitMs);
    const check = () => {
      let available = 0;
      for (const r of reads) {
        if (!r.log) continue;
        if (r.waitForHwAbove >= 0) {
          if (r.log.highWatermark > r.waitForHwAbove) finish();
          continue;
        }
        available += r.log.bytesSince(r.endSegment, r.endPosition);
      }
      if (available >= minBytes) finish();
    };
    unsubscribe.push(ctx.onClose(finish));
    for (const r of reads) if (r.log) unsubscribe.push(r.log.watch(check));
    check();
  });
}

export function fetchHandler(b: BrokerServices): RequestHandler {
  return handler<'Fetch'>(Apis.Fetch, async (ctx, req) => {
    const maxWait = Math.min(Math.max(req.maxWaitMs, 0), b.config.fetchMaxWaitMs);
    const minBytes = Math.max(req.minBytes, 0);
    const frameLimit = b.config.maxFrameBytes - FRAME_HEADROOM;
    const maxBytes = Math.min(req.maxBytes > 0 ? req.maxBytes : DEFAULT_MAX_BYTES, frameLimit);
    // Record bytes are read into pooled buffers, copied once into the response frame, and the
    // buffers go back to the pool once the frame is encoded.
    const lease = b.buffers.lease();
    ctx.afterResponse(() => lease.release());
    let outcome = await readAll(b, req, maxBytes, lease);
    if (outcome.bytes < Math.max(minBytes, 1) && maxWait > 0 && outcome.errors === 0 && outcome.reads.length > 0) {
      await park(ctx, outcome.reads, Math.max(minBytes, 1), maxWait);
      outcome = await readAll(b, req, maxBytes, lease);
    }
    return { errorCode: 0, throttleMs: 0, topics: outcome.topics };
  });
}
