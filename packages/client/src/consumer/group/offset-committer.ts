/**
 * Commits offsets to the group (OffsetCommit), as the member at its current epoch.
 *
 * Commits run one after another (a later commit never overtakes an earlier one, so a partition's
 * committed offset never moves back by accident). Each commit is retried with backoff on retriable
 * errors and on STALE_MEMBER_EPOCH (the member just moved to a newer epoch: the retry carries it);
 * UNKNOWN_MEMBER_ID and the FENCED_* errors mean the member lost its partitions: the commit fails
 * and the membership is told to heartbeat at once (it then rejoins). Per-partition errors fail only
 * those partitions.
 *
 * It remembers the last acknowledged offset per partition, so that unchanged offsets are not sent
 * again, and emits `consumer.commit` for every commit attempt that ended.
 * Single-threaded.
 */
import { ERRORS, StrataError, errorFromCode, type OffsetCommitTopicInit } from '@strata/protocol';
import { StrataAggregateError, isRetriable, toError } from '../../errors';
import type { Logger } from '../../logger';
import type { EventSink } from '../../network/connection-events';
import type { Retrier } from '../../retry';
import { partitionKey, type TopicPartition } from '../subscription-state';
import type { CoordinatorLink } from './coordinator-link';

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to consume (Kafka semantics: one past the last processed record). */
  offset: number;
}

export interface CommitEvents {
  /**
   * A commit ended: `offsets` were acknowledged (all of them when `error` is null); on failure
   * `error` says why and `offsets` lists what was still acknowledged.
   */
  'consumer.commit': { groupId: string; memberEpoch: number; offsets: TopicPartitionOffset[]; error: Error | null };
}

export interface CommitterConfig {
  link: CoordinatorLink;
  groupId: string;
  instanceId: string;
  /** The member's id and current epoch (0 while it is not in the group). */
  member: () => { memberId: string; memberEpoch: number };
  /** The member was fenced or removed: heartbeat now to find out and rejoin. */
  onFenced: () => void;
  requestTimeoutMs: number;
  retrier: Retrier;
  logger: Logger;
  events: EventSink<CommitEvents>;
}

const FENCED = new Set<number>([ERRORS.UNKNOWN_MEMBER_ID.code, ERRORS.FENCED_MEMBER_EPOCH.code, ERRORS.FENCED_INSTANCE_ID.code]);

export class OffsetCommitter {
  private readonly acked = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly c: CommitterConfig) {}

  /** The last offset acknowledged for a partition by this member, if any. */
  committed(topic: string, partition: number): number | undefined {
    return this.acked.get(partitionKey(topic, partition));
  }

  /** Records an offset known to be committed (read from the group when the partition was assigned). */
  noteCommitted(topic: string, partition: number, offset: number): void {
    this.acked.set(partitionKey(topic, partition), offset);
  }

  /** Forgets a partition that is no longer this member's. */
  forget(topic: string, partition: number): void {
    this.acked.delete(partitionKey(topic, partition));
  }

  /**
   * Commits `offsets` after every earlier commit ended. With `onlyChanged`, offsets equal to the
   * last acknowledged ones are skipped (nothing is sent when none is left).
   */
  commit(offsets: readonly TopicPartitionOffset[], onlyChanged = false): Promise<void> {
    const run = this.chain.then(() => {
      const todo = onlyChanged ? offsets.filter((o) => this.acked.get(partitionKey(o.topic, o.partition)) !== o.offset) : offsets;
      return todo.length === 0 ? undefined : this.send(todo);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every commit started so far ended. */
  async idle(): Promise<void> {
    await this.chain;
  }

  private async send(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const c = this.c;
    let epoch = 0;
    let response;
    try {
      response = await c.retrier.run(
        async () => {
          const { memberId, memberEpoch } = c.member();
          epoch = memberEpoch;
          if (memberEpoch <= 0) {
            throw new StrataError(ERRORS.UNKNOWN_MEMBER_ID, `the consumer is not a member of group "${c.groupId}" right now (joining or rejoining): offsets cannot be committed`);
          }
          const res = await c.link.request(
            'OffsetCommit',
            { groupId: c.groupId, memberId, memberEpoch, instanceId: c.instanceId, topics: byTopic(offsets) },
            { timeoutMs: c.requestTimeoutMs },
          );
          if (res.errorCode !== 0) {
            c.link.noteError(res.errorCode);
            throw errorFromCode(res.errorCode, res.errorMessage || undefined);
          }
          return res;
        },
        {
          shouldRetry: (error) => isRetriable(error) || (error instanceof StrataError && error.errorCode === ERRORS.STALE_MEMBER_EPOCH.code),
          onRetry: (error, attempt, delayMs) => c.logger.debug(`commit to group "${c.groupId}" failed (attempt ${attempt + 1}), retrying in ${delayMs} ms: ${toError(error).message}`),
        },
      );
    } catch (error) {
      if (error instanceof StrataError && FENCED.has(error.errorCode)) c.onFenced();
      c.events.emit('consumer.commit', { groupId: c.groupId, memberEpoch: epoch, offsets: [], error: toError(error) });
      throw error;
    }
    const done: TopicPartitionOffset[] = [];
    const failed: StrataError[] = [];
    const wanted = new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
    for (const t of response.topics) {
      for (const p of t.partitions) {
        const key = partitionKey(t.name, p.partition);
        const offset = wanted.get(key);
        if (offset === undefined) continue;
        if (p.errorCode === 0) {
          this.acked.set(key, offset);
          done.push({ topic: t.name, partition: p.partition, offset });
        } else {
          failed.push(errorFromCode(p.errorCode, `${t.name}-${p.partition}: ${response.errorMessage || errorFromCode(p.errorCode).message}`));
        }
      }
    }
    const error = failed.length === 0 ? null : failed.length === 1 ? failed[0]! : new StrataAggregateError(failed, `commit to group "${c.groupId}" failed for ${failed.length} partitions`);
    c.events.emit('consumer.commit', { groupId: c.groupId, memberEpoch: epoch, offsets: done, error });
    if (error) throw error;
  }
}

function byTopic(offsets: readonly TopicPartitionOffset[]): OffsetCommitTopicInit[] {
  const topics = new Map<string, OffsetCommitTopicInit & { partitions: NonNullable<OffsetCommitTopicInit['partitions']> }>();
  for (const o of offsets) {
    let t = topics.get(o.topic);
    if (!t) topics.set(o.topic, (t = { name: o.topic, partitions: [] }));
    t.partitions.push({ partition: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, metadata: '' });
  }
  return [...topics.values()];
}
