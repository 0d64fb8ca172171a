/**
 * ReplicaFetchers: this broker copying the partitions it follows from their leaders — one fetcher
 * (one connection, one request in flight) per leader broker, covering all its partitions.
 *
 * A partition joins a fetcher when this broker becomes its follower at some leader epoch:
 * 1. truncation (KIP-101/279): ask the leader (OffsetForLeaderEpoch) where this replica's latest
 *    leader epoch ends on the leader, and truncate the local log there — never blindly to the
 *    local high watermark, which can lose acknowledged records; repeat until the epochs agree;
 * 2. fetching: Fetch with this broker's id as replica id from the log end offset (a long poll at
 *    the leader), append what comes verbatim (Partition.appendReplicated), take the leader's high
 *    watermark as far as the local log reaches. With durability=fsync the appended data is fsynced
 *    before the next fetch reports the new offset: acks=all then means fsynced on every in-sync
 *    replica.
 * Errors: a leadership error parks the partition until the next state arrives from etcd;
 * OFFSET_OUT_OF_RANGE below the leader's log start restarts the local log there; anything else
 * backs off and retries. Event loop only.
 */
import type { Logger } from 'pino';
import { ERRORS, StrataError, errorDefinition, type FetchTopicInit } from '@strata/protocol';
import type { BrokerClient } from '../cluster/broker-client';
import type { Partition } from './partition';

export interface FetcherOptions {
  brokerId: number;
  logger: Logger;
  /** A connection to a broker, by id (null when it is unknown right now). */
  clientFor: (brokerId: number) => BrokerClient | null;
  maxWaitMs: number;
  partitionMaxBytes: number;
  requestTimeoutMs: number;
  /** Wait for fsync of what was appended before reporting it (durability=fsync). */
  durable: boolean;
}

type Phase = 'truncating' | 'fetching' | 'parked';

interface Fetching {
  partition: Partition;
  leaderEpoch: number;
  phase: Phase;
  retryAt: number;
}

const BACKOFF_MS = 200;
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

class LeaderFetcher {
  readonly partitions = new Map<string, Fetching>();
  private running = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    readonly leaderId: number,
    private readonly options: FetcherOptions,
  ) {}

  add(partition: Partition, leaderEpoch: number): void {
    this.partitions.set(partition.name, { partition, leaderEpoch, phase: 'truncating', retryAt: 0 });
    this.poke();
    if (!this.running) void this.loop();
  }

  remove(name: string): void {
    this.partitions.delete(name);
  }

  stop(): void {
    this.stopped = true;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.partitions.size > 0) {
        const client = this.options.clientFor(this.leaderId);
        if (!client) {
          await this.idle(BACKOFF_MS);
          continue;
        }
        const now = Date.now();
        for (const f of this.partitions.values()) if (f.phase === 'truncating' && f.retryAt <= now) await this.truncate(client, f);
        const ready = [...this.partitions.values()].filter((f) => f.phase === 'fetching' && f.retryAt <= Date.now());
        if (ready.length === 0) {
          await this.idle(BACKOFF_MS);
          continue;
        }
        try {
          await this.fetch(client, ready);
        } catch (e) {
          this.options.logger.debug({ leader: this.leaderId, err: e }, 'replica fetch failed; retrying');
          for (const f of ready) f.retryAt = Date.now() + BACKOFF_MS;
          await this.idle(BACKOFF_MS);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Truncates the local log to where its latest epoch ends on the leader. */
  private async truncate(client: BrokerClient, f: Fetching): Promise<void> {
    const p = f.partition;
    const cache = p.epochCache!;
    try {
      for (let round = 0; round < 10; round++) {
        const latest = cache.latest;
        if (!latest || p.log.logEndOffset === 0) break;
        const res = await client.request(
          'OffsetForLeaderEpoch',
          { replicaId: this.options.brokerId, topics: [{ name: p.topic, partitions: [{ partition: p.index, currentLeaderEpoch: f.leaderEpoch, leaderEpoch: latest.epoch }] }] },
          this.options.requestTimeoutMs,
        );
        const r = res.topics[0]?.partitions[0];
        if (!r) throw new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, 'empty OffsetForLeaderEpoch answer');
        if (r.errorCode !== 0) throw new StrataError(errorDefinitionOf(r.errorCode), r.errorMessage);
        const leo = p.log.logEndOffset;
        let target: number;
        if (r.leaderEpoch < 0) {
          target = Math.min(p.log.highWatermark, leo); // the leader knows no epoch of ours (Kafka's fallback)
        } else if (r.leaderEpoch === latest.epoch) {
          target = Math.min(r.endOffset, leo);
        } else {
          // The leader's largest epoch below ours: everything we have from our later epochs goes.
          const ours = cache.all.find((e) => e.epoch > r.leaderEpoch);
          target = Math.min(r.endOffset, leo, ours?.startOffset ?? leo);
        }
        if (target >= leo) break;
        this.options.logger.info({ partition: p.name, from: leo, to: target, leaderEpoch: r.leaderEpoch }, 'truncating a follower to the leader\'s epoch end');
        await p.log.truncateTo(target);
        cache.truncateFromEnd(target);
        if (r.leaderEpoch === latest.epoch || r.leaderEpoch < 0) break;
      }
      f.phase = 'fetching';
    } catch (e) {
      this.onPartitionError(f, e);
    }
  }

  private async fetch(client: BrokerClient, ready: Fetching[]): Promise<void> {
    const byTopic = new Map<string, FetchTopicInit>();
    for (const f of ready) {
      const t = byTopic.get(f.partition.topic) ?? { name: f.partition.topic, partitions: [] };
      t.partitions!.push({ partition: f.partition.index, fetchOffset: f.partition.log.logEndOffset, partitionMaxBytes: this.options.partitionMaxBytes, currentLeaderEpoch: f.leaderEpoch, logStartOffset: -1 });
      byTopic.set(t.name!, t);
    }
    const res = await client.request(
      'Fetch',
      { replicaId: this.options.brokerId, maxWaitMs: this.options.maxWaitMs, minBytes: 1, maxBytes: MAX_RESPONSE_BYTES, isolationLevel: 0, topics: [...byTopic.values()] },
      this.options.maxWaitMs + this.options.requestTimeoutMs,
    );
    const durable: Array<Promise<void>> = [];
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const f = this.partitions.get(`${t.name}-${r.partition}`);
        if (!f || f.phase !== 'fetching') continue;
        if (r.errorCode !== 0) {
          if (r.errorCode === ERRORS.OFFSET_OUT_OF_RANGE.code && r.logStartOffset > f.partition.log.logEndOffset) {
            this.options.logger.warn({ partition: f.partition.name, leaderLogStart: r.logStartOffset }, 'follower is behind the leader\'s log start: restarting its log there');
            await f.partition.log.truncateFullyAndStartAt(r.logStartOffset);
            f.partition.epochCache!.truncateFromEnd(0);
            continue;
          }
          this.onPartitionError(f, new StrataError(errorDefinitionOf(r.errorCode), r.errorMessage));
          continue;
        }
        try {
          f.partition.appendReplicated(r.records, r.highWatermark);
          if (this.options.durable && r.records.length > 0) durable.push(f.partition.log.waitDurable(f.partition.log.logEndOffset));
        } catch (e) {
          this.onPartitionError(f, e);
        }
      }
    }
    await Promise.all(durable);
  }

  private onPartitionError(f: Fetching, e: unknown): void {
    const code = e instanceof StrataError ? e.code : '';
    if (code === 'NOT_LEADER_OR_FOLLOWER' || code === 'FENCED_LEADER_EPOCH' || code === 'UNKNOWN_TOPIC_OR_PARTITION') {
      // Our view is stale or the leader's is: wait for the next state from etcd (or retry slowly).
      f.retryAt = Date.now() + 5 * BACKOFF_MS;
      this.options.logger.debug({ partition: f.partition.name, err: e }, 'replica fetch refused by the leader');
      return;
    }
    if (code === 'CORRUPT_MESSAGE') f.phase = 'truncating'; // our log end does not line up: truncate again
    f.retryAt = Date.now() + BACKOFF_MS;
    // A leader that is down or restarting is routine (its partitions move); anything else is not.
    const routine = code === 'NETWORK_EXCEPTION' || code === 'REQUEST_TIMED_OUT' || code === 'BROKER_SHUTTING_DOWN';
    if (routine) this.options.logger.debug({ partition: f.partition.name, err: e }, 'replicating a partition failed; retrying');
    else this.options.logger.warn({ partition: f.partition.name, err: e }, 'replicating a partition failed; retrying');
  }
}

function errorDefinitionOf(code: number) {
  return errorDefinition(code);
}

/** Every fetcher of this broker. */
export class ReplicaFetchers {
  private readonly fetchers = new Map<number, LeaderFetcher>();
  private readonly leaderOf = new Map<string, number>();

  constructor(private readonly options: FetcherOptions) {}

  /** Follows `partition` from `leaderId` at `leaderEpoch` (restarting truncation). */
  follow(partition: Partition, leaderId: number, leaderEpoch: number): void {
    this.unfollow(partition.name);
    let fetcher = this.fetchers.get(leaderId);
    if (!fetcher) this.fetchers.set(leaderId, (fetcher = new LeaderFetcher(leaderId, this.options)));
    this.leaderOf.set(partition.name, leaderId);
    fetcher.add(partition, leaderEpoch);
  }

  unfollow(name: string): void {
    const leader = this.leaderOf.get(name);
    if (leader === undefined) return;
    this.leaderOf.delete(name);
    this.fetchers.get(leader)?.remove(name);
  }

  /** Partitions each leader's fetcher copies (metrics, tests). */
  following(): Map<number, string[]> {
    return new Map([...this.fetchers].map(([id, f]) => [id, [...f.partitions.keys()]]));
  }

  stop(): void {
    for (const f of this.fetchers.values()) f.stop();
    this.fetchers.clear();
    this.leaderOf.clear();
  }
}
