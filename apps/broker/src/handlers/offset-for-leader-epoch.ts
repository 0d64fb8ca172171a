/**
 * OffsetForLeaderEpoch (KIP-101): where a leader epoch ends on this broker, the leader. A
 * follower asks it for its own latest epoch before fetching and truncates its log there. The
 * answer is the largest epoch this leader knows at or below the one asked, and its end offset:
 * the start of the next epoch, or the log end offset for the leader's current epoch. A broker
 * without a cluster has one epoch (0), which ends at its log end.
 */
import { Apis, ERRORS, StrataError, type EpochEndOffsetInit } from '@strata/protocol';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';

export function offsetForLeaderEpochHandler(b: BrokerServices): RequestHandler {
  return handler<'OffsetForLeaderEpoch'>(Apis.OffsetForLeaderEpoch, (_ctx, req) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): EpochEndOffsetInit => {
        try {
          const partition = b.replicas.leader(t.name, p.partition, p.currentLeaderEpoch);
          const log = partition.log;
          const cache = partition.epochCache;
          const answer = cache ? cache.endOffsetFor(p.leaderEpoch, log.logEndOffset) : p.leaderEpoch >= 0 ? { epoch: 0, endOffset: log.logEndOffset } : { epoch: -1, endOffset: -1 };
          return { partition: p.partition, errorCode: 0, leaderEpoch: answer.epoch, endOffset: answer.endOffset };
        } catch (e) {
          const err = e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message);
          return { partition: p.partition, errorCode: err.errorCode, errorMessage: err.message, leaderEpoch: -1, endOffset: -1 };
        }
      }),
    })),
  }));
}
