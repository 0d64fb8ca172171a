/**
 * OffsetStore: committed offsets of every group, kept in the internal compacted topic
 * `__consumer_offsets` (record layout in offset-records.ts) with an in-memory cache in front.
 *
 * - A group's commits all go to one partition of the topic (offsetsPartitionFor), so they are
 *   ordered by that partition's log.
 * - A commit is appended as one record batch (one record per partition) and acknowledged only
 *   once durable (fsynced under durability=fsync, written to the OS under async).
 * - The cache is a function of the durable log prefix: records are applied to it in log order,
 *   after they are durable, through a per-partition chain. A reader never sees an offset that a
 *   crash could take back, and a tombstone written after a commit always wins over it.
 * - load() rebuilds the cache at start-up by reading every partition from its log start offset to
 *   its high watermark; until then `loaded` is false and the coordinator refuses group requests.
 *
 * Not thread-safe: event loop only.
 */
import type { Logger } from 'pino';
import { ERRORS, RecordBatchBuilder, StrataError, decodeRecords, iterateBatches, type BatchView } from '@strata/protocol';
import { recordsSection } from '../compression';
import type { AppendResult, LogReadResult, ReadLimit } from '../storage/log';
import type { Clock } from '../util/clock';
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue, offsetsPartitionFor } from './offset-records';
import { parseTp, tpKey, type TpKey } from './topic-partitions';

/** The part of a partition Log the store uses. */
export interface OffsetsLog {
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly writtenEndOffset: number;
  append(batches: readonly BatchView[], leaderEpoch: number): Pick<AppendResult, 'endOffset' | 'generation'>;
  waitWritten(endOffset: number, generation?: number): Promise<void>;
  waitDurable(endOffset: number, generation?: number): Promise<void>;
  read(offset: number, maxBytes: number, minOneBatch: boolean, limit?: ReadLimit): Promise<Pick<LogReadResult, 'records'>>;
}

export interface OffsetsPartition {
  readonly log: OffsetsLog;
  readonly leaderEpoch: number;
  /** False for a replica this broker only follows (in a cluster). */
  readonly isLeader: boolean;
  /** A replicated partition appends as leader and acknowledges once replicated (acks=all). */
  appendAsLeader?(batches: readonly BatchView[], acks: number, durable: boolean): { result: Pick<AppendResult, 'endOffset' | 'generation'>; acknowledged: Promise<void> };
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export interface OffsetCommitEntry extends Omit<CommittedOffset, 'commitTimestamp'> {
  tp: TpKey;
}

export interface OffsetStoreOptions {
  /** The partitions of `__consumer_offsets` by index; empty where this broker holds no replica. */
  partitions: () => ReadonlyArray<OffsetsPartition | undefined>;
  /** In a cluster: each partition is loaded when this broker becomes its leader (syncLeadership). */
  clustered?: boolean;
  /** Wait for fsync (true) or for the write to the OS (false) before acknowledging. */
  durable: boolean;
  clock: Clock;
  logger: Logger;
}

const LOAD_READ_BYTES = 1024 * 1024;

export class OffsetStore {
  private readonly cache = new Map<string, Map<TpKey, CommittedOffset>>();
  /** Per offsets partition: the promise the next write's cache update waits for. */
  private readonly tails = new Map<number, Promise<void>>();
  private state: 'new' | 'loading' | 'loaded' | 'failed' | 'closed' = 'new';
  /** In a cluster: the load state of each partition this broker leads. */
  private readonly partitionStates = new Map<number, 'loading' | 'loaded' | 'failed'>();

  constructor(private readonly options: OffsetStoreOptions) {}

  get loaded(): boolean {
    return this.state === 'loaded';
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  get clustered(): boolean {
    return this.options.clustered ?? false;
  }

  /**
   * In a cluster: whether this broker coordinates `group` now. Throws NOT_COORDINATOR (another
   * broker leads the group's offsets partition), COORDINATOR_LOAD_IN_PROGRESS or
   * COORDINATOR_NOT_AVAILABLE (all retriable).
   */
  checkCoordinator(group: string): void {
    const partitions = this.options.partitions();
    if (partitions.length === 0) throw new StrataError(ERRORS.COORDINATOR_NOT_AVAILABLE, 'the __consumer_offsets topic does not exist yet');
    const index = offsetsPartitionFor(group, partitions.length);
    const partition = partitions[index];
    if (!partition?.isLeader) throw new StrataError(ERRORS.NOT_COORDINATOR, `this broker does not lead __consumer_offsets-${index}, which holds group "${group}"`);
    const state = this.partitionStates.get(index);
    if (state === 'failed') throw new StrataError(ERRORS.COORDINATOR_NOT_AVAILABLE, `loading __consumer_offsets-${index} failed; see the broker log`);
    if (state !== 'loaded') throw new StrataError(ERRORS.COORDINATOR_LOAD_IN_PROGRESS, `the coordinator is loading __consumer_offsets-${index}`);
  }

  /**
   * In a cluster: loads the partitions this broker just became leader of and forgets the groups of
   * those it stopped leading. Returns the indexes it forgot (the coordinator drops their groups).
   */
  syncLeadership(): number[] {
    const partitions = this.options.partitions();
    const dropped: number[] = [];
    partitions.forEach((partition, index) => {
      const leads = partition?.isLeader ?? false;
      const known = this.partitionStates.has(index);
      if (leads && !known) {
        this.partitionStates.set(index, 'loading');
        void this.loadPartition(partition!.log).then(
          () => {
            if (this.partitionStates.get(index) === 'loading') this.partitionStates.set(index, 'loaded');
          },
          (e: unknown) => {
            if (this.partitionStates.get(index) !== 'loading') return;
            this.partitionStates.set(index, 'failed');
            this.options.logger.error({ err: e, partition: index }, 'loading committed offsets failed');
          },
        );
      } else if (!leads && known) {
        this.partitionStates.delete(index);
        for (const group of [...this.cache.keys()]) if (offsetsPartitionFor(group, partitions.length) === index) this.cache.delete(group);
        dropped.push(index);
      }
    });
    return dropped;
  }

  /** Reads every partition of the topic into the cache. */
  async load(): Promise<void> {
    this.state = 'loading';
    const started = this.options.clock.now();
    let records = 0;
    try {
      const partitions = this.options.partitions();
      for (const partition of partitions) {
        if (this.isClosed()) return;
        if (partition) records += await this.loadPartition(partition.log);
      }
    } catch (e) {
      if (this.isClosed()) return;
      this.state = 'failed';
      this.options.logger.error({ err: e }, 'loading committed offsets failed; group requests are refused until restart');
      throw e;
    }
    if (this.isClosed()) return;
    this.state = 'loaded';
    this.options.logger.info({ groups: this.cache.size, records, ms: this.options.clock.now() - started }, 'committed offsets loaded');
  }

  /**
   * Applies a partition's commits to the cache. A new leader reads to its written end, not its
   * high watermark: a follower learns the high watermark one fetch late, so the last commits it
   * holds may sit above it, and as leader everything it holds becomes committed (Kafka loads to the
   * log end for the same reason). At start-up on a single node the two are the same.
   */
  private async loadPartition(log: OffsetsLog): Promise<number> {
    let offset = log.logStartOffset;
    const end = log.writtenEndOffset;
    let records = 0;
    while (offset < end && !this.isClosed()) {
      const read = await log.read(offset, LOAD_READ_BYTES, true, 'written');
      if (read.records.length === 0) break;
      let next = offset;
      for (const batch of iterateBatches(read.records, { validate: false, allowPartialTail: true })) {
        next = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
        const section = recordsSection(batch.bytes);
        if (!section) {
          this.options.logger.warn({ offset: batch.header.baseOffset }, 'skipping an offsets batch with an unsupported compression codec');
          continue;
        }
        for (const r of decodeRecords(section, batch.header)) {
          if (r.offset < offset || !r.key) continue;
          this.applyRecord(r.key, r.value);
          records++;
        }
      }
      if (next <= offset) break;
      offset = next;
    }
    return records;
  }

  private applyRecord(keyBytes: Uint8Array, valueBytes: Uint8Array | null): void {
    try {
      const key = decodeOffsetKey(keyBytes);
      if (!key) return;
      const tp = tpKey(key.topic, key.partition);
      if (valueBytes === null) {
        const group = this.cache.get(key.group);
        group?.delete(tp);
        if (group?.size === 0) this.cache.delete(key.group);
        return;
      }
      const value = decodeOffsetValue(valueBytes);
      let group = this.cache.get(key.group);
      if (!group) this.cache.set(key.group, (group = new Map()));
      group.set(tp, { offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata, commitTimestamp: value.commitTimestamp });
    } catch (e) {
      this.options.logger.warn({ err: e }, 'skipping an undecodable __consumer_offsets record');
    }
  }

  fetch(group: string, tp: TpKey): CommittedOffset | undefined {
    return this.cache.get(group)?.get(tp);
  }

  groupOffsets(group: string): ReadonlyMap<TpKey, CommittedOffset> {
    return this.cache.get(group) ?? EMPTY;
  }

  hasOffsets(group: string): boolean {
    return (this.cache.get(group)?.size ?? 0) > 0;
  }

  groups(): string[] {
    return [...this.cache.keys()];
  }

  /** Writes the commits durably, then applies them. Throws StrataError (KAFKA_STORAGE_ERROR) when the write fails. */
  commit(group: string, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const now = this.options.clock.now();
    return this.write(
      group,
      entries.map((e) => {
        const { topic, partition } = parseTp(e.tp);
        return {
          key: encodeOffsetKey({ group, topic, partition }),
          value: encodeOffsetValue({ offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata, commitTimestamp: now }),
        };
      }),
    );
  }

  /** Writes a tombstone for every committed offset of the group. Returns how many were deleted. */
  async deleteGroup(group: string): Promise<number> {
    const tps = [...this.groupOffsets(group).keys()];
    await this.write(
      group,
      tps.map((tp) => {
        const { topic, partition } = parseTp(tp);
        return { key: encodeOffsetKey({ group, topic, partition }), value: null };
      }),
    );
    return tps.length;
  }

  private write(group: string, records: ReadonlyArray<{ key: Uint8Array; value: Uint8Array | null }>): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const partitions = this.options.partitions();
    if (partitions.length === 0) return Promise.reject(new StrataError(ERRORS.COORDINATOR_NOT_AVAILABLE, 'the __consumer_offsets topic is missing'));
    const index = offsetsPartitionFor(group, partitions.length);
    const partition = partitions[index];
    if (!partition?.isLeader) return Promise.reject(new StrataError(ERRORS.NOT_COORDINATOR, `this broker does not lead __consumer_offsets-${index}`));
    const builder = new RecordBatchBuilder({ initialCapacity: 256 });
    const now = this.options.clock.now();
    for (const r of records) builder.append({ key: r.key, value: r.value }, now);
    let wait: Promise<void>;
    try {
      const batches = [...iterateBatches(builder.build())];
      if (partition.appendAsLeader) {
        // Replicated: acknowledged once the in-sync replicas have it (and fsynced, if durable).
        wait = partition.appendAsLeader(batches, -1, this.options.durable).acknowledged;
      } else {
        const appended = partition.log.append(batches, partition.leaderEpoch);
        wait = this.options.durable ? partition.log.waitDurable(appended.endOffset, appended.generation) : partition.log.waitWritten(appended.endOffset, appended.generation);
      }
    } catch (e) {
      return Promise.reject(asStorageError(e));
    }
    wait.catch(() => undefined); // handled below, once the writes before it are applied
    const previous = this.tails.get(index) ?? Promise.resolve();
    const mine = previous
      .then(() => wait)
      .then(
        () => {
          for (const r of records) this.applyRecord(r.key, r.value);
        },
        (e: unknown) => {
          throw asStorageError(e);
        },
      );
    this.tails.set(
      index,
      mine.catch(() => undefined),
    );
    return mine;
  }

  /** A method, not a field check, because close() may run while load() awaits. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Stops loading; later writes still work until the logs close. */
  close(): void {
    this.state = 'closed';
  }
}

function asStorageError(e: unknown): StrataError {
  return e instanceof StrataError ? e : new StrataError(ERRORS.KAFKA_STORAGE_ERROR, (e as Error).message, { cause: e });
}

const EMPTY: ReadonlyMap<TpKey, CommittedOffset> = new Map();
