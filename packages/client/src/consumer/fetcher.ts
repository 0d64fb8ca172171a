/**
 * The fetch engine. It keeps at most one Fetch in flight per leader, each carrying that leader's
 * fetchable partitions (assigned, not paused, position known, not backing off), and hands the
 * returned bytes to the FetchBuffer. It resolves unknown positions with ListOffsets (following each
 * partition's reset strategy) and unknown leaders with Metadata.
 *
 * Scheduling is event-driven, not a polling loop: schedule() runs when a fetch completes, when the
 * buffer regains space, when the assignment changes, and when a backoff ends. At the end of the log
 * the broker parks the fetch for up to maxWaitMs, so an idle consumer sends about one request per
 * maxWaitMs per leader.
 *
 * Error policy: retriable errors (lost connection, timeouts, leader changes) back the partition off
 * exponentially and retry for as long as the consumer runs; OFFSET_OUT_OF_RANGE follows
 * autoOffsetReset; anything else is fatal and reported once through `onFatal`.
 * Single-threaded.
 */
import { ERRORS, OffsetSpec, StrataError, errorFromCode, type FetchTopicInit } from '@strata/protocol';
import type { Clock, TimerHandle } from '../clock';
import { isStaleMetadataError, type Cluster } from '../cluster/cluster';
import { listOffsets } from '../cluster/list-offsets';
import { isRetriable, toError } from '../errors';
import type { Logger } from '../logger';
import type { EventSink } from '../network/connection-events';
import type { Retrier } from '../retry';
import type { ResolvedConsumerOptions } from './consumer-options';
import type { FetchBuffer } from './fetch-buffer';
import { nextOffsetAfter } from './record-decoder';
import type { PartitionState, SubscriptionState } from './subscription-state';

export interface FetcherEvents {
  /** A fetch request is about to be sent to broker `nodeId`. */
  'consumer.fetch_start': { nodeId: number; partitions: number };
  /** A fetch response arrived. */
  'consumer.fetch': { nodeId: number; partitions: number; bytes: number; durationMs: number };
  /** A partition's position was (re)set by ListOffsets. */
  'consumer.offset_reset': { topic: string; partition: number; offset: number; strategy: string };
}

export interface FetcherConfig {
  cluster: Cluster;
  subscriptions: SubscriptionState;
  buffer: FetchBuffer;
  options: ResolvedConsumerOptions;
  requestTimeoutMs: number;
  retrier: Retrier;
  clock: Clock;
  logger: Logger;
  events: EventSink<FetcherEvents>;
  onFatal: (error: Error) => void;
}

export class Fetcher {
  private running = false;
  private readonly inFlightLeaders = new Set<number>();
  private resetting = false;
  private resolvingLeaders = false;
  private wakeTimer: TimerHandle = undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(private readonly c: FetcherConfig) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.c.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = Number.POSITIVE_INFINITY;
  }

  /** Re-plans fetches (after assign, seek, resume, or when the buffer regains space). */
  schedule(): void {
    if (!this.running) return;
    const now = this.c.clock.now();
    const byLeader = new Map<number, PartitionState[]>();
    let needReset = false;
    let needLeaders = false;
    let nextWake = Number.POSITIVE_INFINITY;
    for (const s of this.c.subscriptions.all()) {
      if (s.paused || s.inFlight || s.revoking || s.awaitingOffset) continue;
      if (s.backoffUntil > now) {
        nextWake = Math.min(nextWake, s.backoffUntil);
        continue;
      }
      if (s.fetchPosition === null) {
        needReset = true;
        continue;
      }
      if (s.leaderId === null) {
        needLeaders = true;
        continue;
      }
      if (this.inFlightLeaders.has(s.leaderId)) continue;
      let list = byLeader.get(s.leaderId);
      if (!list) byLeader.set(s.leaderId, (list = []));
      list.push(s);
    }
    if (needReset && !this.resetting) void this.resetOffsets();
    if (needLeaders && !this.resolvingLeaders) void this.resolveLeaders();
    if (this.c.buffer.hasSpace()) for (const [leader, states] of byLeader) void this.fetch(leader, states);
    if (nextWake < this.wakeAt) this.wakeUpAt(nextWake, now);
  }

  private wakeUpAt(at: number, now: number): void {
    this.c.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = this.c.clock.setTimeout(() => {
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.schedule();
    }, Math.max(0, at - now));
  }

  private async fetch(leader: number, states: PartitionState[]): Promise<void> {
    const { options, clock } = this.c;
    this.inFlightLeaders.add(leader);
    const epochs = new Map<PartitionState, number>();
    const offsets = new Map<PartitionState, number>();
    const topics = new Map<string, FetchTopicInit>();
    const lookup = new Map<string, Map<number, PartitionState>>();
    for (const s of states) {
      s.inFlight = true;
      epochs.set(s, s.epoch);
      offsets.set(s, s.fetchPosition!);
      let t = topics.get(s.topic);
      if (!t) topics.set(s.topic, (t = { name: s.topic, partitions: [] }));
      t.partitions!.push({ partition: s.partition, fetchOffset: s.fetchPosition!, partitionMaxBytes: options.maxBytesPerPartition, currentLeaderEpoch: -1, logStartOffset: -1 });
      let m = lookup.get(s.topic);
      if (!m) lookup.set(s.topic, (m = new Map()));
      m.set(s.partition, s);
    }
    const started = clock.now();
    if (this.c.events.listening('consumer.fetch_start')) this.c.events.emit('consumer.fetch_start', { nodeId: leader, partitions: states.length });
    try {
      const response = await this.c.cluster.broker(leader).request(
        'Fetch',
        { replicaId: -1, maxWaitMs: options.maxWaitMs, minBytes: options.minBytes, maxBytes: options.maxBytes, isolationLevel: 0, topics: [...topics.values()] },
        { timeoutMs: this.c.requestTimeoutMs + options.maxWaitMs },
      );
      if (response.errorCode !== 0) throw errorFromCode(response.errorCode);
      let bytes = 0;
      for (const t of response.topics) {
        for (const p of t.partitions) {
          const s = lookup.get(t.name)?.get(p.partition);
          if (!s || !this.running || s.epoch !== epochs.get(s)) continue; // stale: seek, pause or reassignment
          bytes += p.records.length;
          if (p.errorCode !== 0) this.onPartitionError(s, errorFromCode(p.errorCode, p.errorMessage || undefined));
          else this.onPartitionData(s, offsets.get(s)!, p.highWatermark, p.records);
        }
      }
      if (this.c.events.listening('consumer.fetch')) {
        this.c.events.emit('consumer.fetch', { nodeId: leader, partitions: states.length, bytes, durationMs: clock.now() - started });
      }
    } catch (error) {
      if (!this.running) return;
      if (!isRetriable(error)) {
        this.c.onFatal(toError(error));
        return;
      }
      this.c.logger.warn(`fetch from broker ${leader} failed: ${toError(error).message}`);
      for (const s of states) if (s.epoch === epochs.get(s)) this.backOff(s, error);
    } finally {
      for (const s of states) s.inFlight = false;
      this.inFlightLeaders.delete(leader);
      this.schedule();
    }
  }

  private onPartitionData(s: PartitionState, fetchOffset: number, highWatermark: number, records: Uint8Array): void {
    s.highWatermark = highWatermark;
    s.errorCount = 0;
    if (records.length === 0) return;
    const complete = nextOffsetAfter(records);
    if (!complete) {
      this.c.onFatal(
        new StrataError(
          ERRORS.RECORD_LIST_TOO_LARGE,
          `${s.topic}-${s.partition}: the record batch at offset ${fetchOffset} is larger than maxBytesPerPartition (${this.c.options.maxBytesPerPartition} bytes); raise maxBytesPerPartition`,
        ),
      );
      return;
    }
    if (complete.nextOffset <= fetchOffset) return; // only records before the position: nothing new
    s.fetchPosition = complete.nextOffset;
    this.c.buffer.push({
      state: s,
      epoch: s.epoch,
      fetchOffset,
      nextOffset: complete.nextOffset,
      highWatermark,
      records: complete.completeBytes === records.length ? records : records.subarray(0, complete.completeBytes),
    });
  }

  private onPartitionError(s: PartitionState, error: StrataError): void {
    if (error.errorCode === ERRORS.OFFSET_OUT_OF_RANGE.code) {
      const strategy = this.c.options.autoOffsetReset;
      if (strategy === 'none') {
        this.c.onFatal(new StrataError(ERRORS.OFFSET_OUT_OF_RANGE, `${s.topic}-${s.partition}: offset ${s.fetchPosition} is out of range and autoOffsetReset is 'none'`));
        return;
      }
      this.c.logger.info(`${s.topic}-${s.partition}: offset ${s.fetchPosition} is out of range; resetting to ${strategy}`);
      s.reset(strategy);
      return;
    }
    if (isRetriable(error) || isStaleMetadataError(error)) {
      this.c.logger.warn(`fetch of ${s.topic}-${s.partition} failed: ${error.message}`);
      this.backOff(s, error);
      return;
    }
    this.c.onFatal(new StrataError(definition(error), `${s.topic}-${s.partition}: ${error.message}`, { cause: error }));
  }

  /** Delays the partition's next fetch; forgets its leader when the error says metadata is stale. */
  private backOff(s: PartitionState, error: unknown): void {
    if (isStaleMetadataError(error)) {
      s.leaderId = null;
      this.c.cluster.invalidate(s.topic);
    }
    const delay = this.c.retrier.delay(Math.min(s.errorCount, 30));
    s.errorCount++;
    s.backoffUntil = this.c.clock.now() + delay;
  }

  private async resolveLeaders(): Promise<void> {
    this.resolvingLeaders = true;
    try {
      for (const s of [...this.c.subscriptions.all()]) {
        if (s.leaderId !== null || s.backoffUntil > this.c.clock.now()) continue;
        try {
          s.leaderId = await this.c.cluster.leaderIdFor(s.topic, s.partition);
        } catch (error) {
          if (!this.running) return;
          if (!isRetriable(error) && !isStaleMetadataError(error)) {
            this.c.onFatal(toError(error));
            return;
          }
          this.c.logger.warn(`no leader for ${s.topic}-${s.partition} yet: ${toError(error).message}`);
          this.backOff(s, error);
        }
      }
    } finally {
      this.resolvingLeaders = false;
      this.schedule();
    }
  }

  private async resetOffsets(): Promise<void> {
    this.resetting = true;
    try {
      const groups = new Map<string, PartitionState[]>();
      for (const s of this.c.subscriptions.all()) {
        if (s.fetchPosition !== null || s.awaitingOffset || s.revoking || s.backoffUntil > this.c.clock.now()) continue;
        if (s.resetStrategy === 'none') {
          this.c.onFatal(new StrataError(ERRORS.OFFSET_OUT_OF_RANGE, `${s.topic}-${s.partition} has no offset to start from and autoOffsetReset is 'none'`));
          return;
        }
        const key = `${s.topic}\u0000${s.resetStrategy}`;
        let list = groups.get(key);
        if (!list) groups.set(key, (list = []));
        list.push(s);
      }
      for (const list of groups.values()) {
        const first = list[0]!;
        const epochs = list.map((s) => s.epoch);
        const spec = first.resetStrategy === 'earliest' ? OffsetSpec.EARLIEST : OffsetSpec.LATEST;
        try {
          const found = await listOffsets(this.c.cluster, first.topic, list.map((s) => s.partition), spec);
          list.forEach((s, i) => {
            if (s.epoch !== epochs[i] || s.fetchPosition !== null) return;
            const offset = found.get(s.partition)!.offset;
            s.seek(offset);
            s.errorCount = 0;
            this.c.events.emit('consumer.offset_reset', { topic: s.topic, partition: s.partition, offset, strategy: s.resetStrategy });
          });
        } catch (error) {
          if (!this.running) return;
          if (!isRetriable(error) && !isStaleMetadataError(error)) {
            this.c.onFatal(toError(error));
            return;
          }
          this.c.logger.warn(`could not find offsets for "${first.topic}": ${toError(error).message}`);
          for (const s of list) this.backOff(s, error);
        }
      }
    } finally {
      this.resetting = false;
      this.schedule();
    }
  }
}

function definition(error: StrataError) {
  return { name: error.code, code: error.errorCode, retriable: error.retriable, message: error.message };
}

