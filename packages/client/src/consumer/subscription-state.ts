/**
 * The partitions a consumer reads and where it stands in each (Kafka's SubscriptionState).
 *
 * Per partition: `position` is the next offset to hand to the application, `fetchPosition` the
 * next offset to fetch (ahead of `position` by what is buffered), `committable` the offset after
 * the last record the application finished (what a group consumer commits; it trails `position`
 * while a record is in the application's hands). Positions are null until resolved (the group's
 * committed offset, or ListOffsets following `resetStrategy`). `epoch` grows on every seek, pause,
 * reset and removal: data fetched under an older epoch is stale and dropped, so nothing is
 * delivered twice or skipped.
 * Single-threaded; mutated by the consumer API, the fetcher and (in a group) the reconciler.
 */
import { StrataArgumentError } from '../errors';

export type OffsetResetStrategy = 'earliest' | 'latest' | 'none';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionAssignment extends TopicPartition {
  /** Start here. */
  offset?: number;
  /** Start at the log start (ignored when `offset` is set). */
  fromBeginning?: boolean;
}

export class PartitionState {
  position: number | null = null;
  fetchPosition: number | null = null;
  /** Offset after the last record the application finished; null until it finished one or seeked. */
  committable: number | null = null;
  epoch = 0;
  paused = false;
  /** Group mode: the committed offset is being looked up; nothing is fetched until it is known. */
  awaitingOffset = false;
  /** Group mode: being revoked. Nothing more is fetched or handed out; the record in hand may finish. */
  revoking = false;
  /** Part of a fetch in flight. */
  inFlight = false;
  /** A run() handler is processing messages of this partition right now. */
  processing = false;
  /** Paused while processing: rewind once the handler returns (the message it holds counts as processed). */
  rewindPending = false;
  /** Node id of the leader; null when unknown (refresh metadata). */
  leaderId: number | null = null;
  highWatermark = -1;
  /** No fetch before this time (after errors). */
  backoffUntil = 0;
  errorCount = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** How to find the position while it is null. */
    public resetStrategy: OffsetResetStrategy,
  ) {}

  /** Moves both positions to `offset` and invalidates data fetched before. */
  seek(offset: number): void {
    this.position = offset;
    this.fetchPosition = offset;
    this.committable = offset;
    this.awaitingOffset = false;
    this.epoch++;
  }

  /** Forgets the positions; the fetcher resolves them with `strategy`. */
  reset(strategy: OffsetResetStrategy): void {
    this.position = null;
    this.fetchPosition = null;
    this.resetStrategy = strategy;
    this.awaitingOffset = false;
    this.epoch++;
  }

  /** The application finished every record before `offset`. */
  processed(offset: number): void {
    this.position = offset;
    this.committable = offset;
  }

  /** Drops buffered data: fetching restarts at the first undelivered offset. */
  rewind(): void {
    this.fetchPosition = this.position;
    this.epoch++;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class SubscriptionState {
  private readonly states = new Map<string, PartitionState>();

  constructor(private readonly defaultReset: OffsetResetStrategy) {}

  /**
   * Replaces the assignment. A partition that stays assigned without a new `offset` or
   * `fromBeginning` keeps its position.
   */
  assign(assignments: readonly PartitionAssignment[]): void {
    const next = new Map<string, PartitionState>();
    for (const a of assignments) {
      checkTopicPartition(a);
      const key = partitionKey(a.topic, a.partition);
      if (next.has(key)) throw new StrataArgumentError(`assign: ${a.topic}-${a.partition} is listed twice`);
      if (a.offset !== undefined) checkOffset(a.offset);
      const explicit = a.offset !== undefined || a.fromBeginning !== undefined;
      const previous = this.states.get(key);
      if (previous && !explicit) {
        next.set(key, previous);
        continue;
      }
      const state = new PartitionState(a.topic, a.partition, a.fromBeginning ? 'earliest' : this.defaultReset);
      if (a.offset !== undefined) state.seek(a.offset);
      if (previous) state.epoch = previous.epoch + 1;
      next.set(key, state);
    }
    for (const [key, old] of this.states) if (!next.has(key)) old.epoch++;
    this.states.clear();
    for (const [key, s] of next) this.states.set(key, s);
  }

  /** Adds a partition without a position (group mode: the reconciler resolves it). */
  add(topic: string, partition: number, resetStrategy: OffsetResetStrategy): PartitionState {
    const key = partitionKey(topic, partition);
    if (this.states.has(key)) throw new StrataArgumentError(`${topic}-${partition} is already assigned`);
    const state = new PartitionState(topic, partition, resetStrategy);
    this.states.set(key, state);
    return state;
  }

  /** Removes a partition; data fetched for it becomes stale. */
  remove(topic: string, partition: number): PartitionState | undefined {
    const key = partitionKey(topic, partition);
    const state = this.states.get(key);
    if (!state) return undefined;
    state.epoch++;
    state.revoking = false;
    this.states.delete(key);
    return state;
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(partitionKey(topic, partition));
  }

  /** The state of an assigned partition; INVALID_ARGUMENT when it is not assigned. */
  assigned(topic: string, partition: number, operation: string): PartitionState {
    const s = this.get(topic, partition);
    if (!s) throw new StrataArgumentError(`${operation}: ${topic}-${partition} is not assigned to this consumer`);
    return s;
  }

  all(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  get size(): number {
    return this.states.size;
  }

  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** States matching `[{ topic, partitions? }]` (all partitions of the topic when omitted). */
  select(selection: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>, operation: string): PartitionState[] {
    const out: PartitionState[] = [];
    for (const sel of selection) {
      if (!sel || typeof sel.topic !== 'string') throw new StrataArgumentError(`${operation}: expected [{ topic, partitions? }]`);
      if (sel.partitions === undefined) {
        for (const s of this.states.values()) if (s.topic === sel.topic) out.push(s);
      } else {
        for (const p of sel.partitions) out.push(this.assigned(sel.topic, p, operation));
      }
    }
    return out;
  }
}

function checkTopicPartition(tp: TopicPartition): void {
  if (!tp || typeof tp.topic !== 'string' || tp.topic.length === 0) throw new StrataArgumentError('expected { topic, partition } with a topic name');
  if (!Number.isInteger(tp.partition) || tp.partition < 0) {
    throw new StrataArgumentError(`partition of "${tp.topic}" must be an integer >= 0, got ${String(tp.partition)}`);
  }
}

export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new StrataArgumentError(`offset must be an integer >= 0, got ${String(offset)}`);
}
