/**
 * ProduceSender: takes batches from the accumulator and sends them (Kafka's Sender; franz-go's
 * sinks), the last step of the producer's one-way path (message -> partition -> batch -> request).
 *
 * Adaptive batching (franz-go's): a run (a microtask, scheduled when records went in, a response
 * came back, a timer fired, flush()) groups the partitions with something to send by leader. A
 * leader with no Produce request outstanding gets one at once, with whatever its partitions hold:
 * a lone send() waits for no timer. While requests to a leader are outstanding, its batches keep
 * filling and go when one of them returns, or when a batch reaches its limit (then up to
 * `maxInFlightRequests`). So batches grow with load and shrink without it. `lingerMs` > 0 instead
 * holds a batch that is not full until it is that old (Kafka's linger). flush() and a send()
 * waiting for memory send everything at once. One request per leader per run carries one batch
 * per partition, up to `maxRequestBytes`; a request sent while more could go schedules another
 * run. Compression (when asked for) happens here, on a batch the sender closed, before its first
 * send.
 *
 * Ordering and idempotence (invariants):
 * - a partition's batches are sent in queue order, and a batch is built (sequence assigned) the
 *   first time it is sent; retries resend the same bytes, so a retried batch keeps its sequence;
 * - idempotent: up to `maxInFlightRequests` batches of a partition in flight; after any failure
 *   the partition sends one batch at a time, oldest first, until the failed ones are through (the
 *   broker refuses later sequences with OUT_OF_ORDER_SEQUENCE_NUMBER and acknowledges a retried
 *   duplicate with its original offset, so nothing is written twice or out of order);
 * - not idempotent (or acks=0): one batch of a partition in flight at a time, so retries never
 *   reorder (they may duplicate);
 * - the producer's view of sequences can go wrong only if a sequenced batch is dropped (delivery
 *   timeout, a fatal error) or the broker lost state (UNKNOWN_PRODUCER_ID, or OUT_OF_ORDER for the
 *   partition's oldest batch). Then it bumps the epoch: it stops sending new batches, lets batches
 *   whose outcome is unknown settle under the old epoch, waits until nothing is in flight, asks for
 *   a new epoch, and renumbers the remaining batches from 0.
 * - DUPLICATE_SEQUENCE_NUMBER (a batch older than the broker's 5-batch window) counts as success
 *   with unknown offsets (-1); it cannot happen with at most 5 batches in flight.
 * - INVALID_PRODUCER_EPOCH means another producer took this id: fatal, every pending record fails.
 * Retries use the retry backoff with jitter and stop at the batch's delivery deadline.
 * Single-threaded: runs between send() calls on the event loop.
 */
import { ERRORS, errorFromCode, type ProduceResponse, type StrataError } from '@strata/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { CompressionCodec } from '../codecs/compression-codec';
import { isStaleMetadataError, type Cluster } from '../cluster/cluster';
import { StrataDeliveryTimeoutError, isRetriable } from '../errors';
import type { Logger } from '../logger';
import type { EventSink } from '../network/connection-events';
import type { Retrier } from '../retry';
import type { BufferPool } from './buffer-pool';
import type { PartitionBatch } from './partition-batch';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator';
import type { ProducerIdentity } from './producer-identity';
import type { ProducerRequestEvents } from './producer-events';
import { asStrataError, judge } from './sender-errors';
import { addTo, produceBody } from './produce-request';
import { firstIdle, nextSequence, renumber, unresolvedOutcomes } from './sequence-state';

export type { ProducerRequestEvents } from './producer-events';


export interface SenderConfig {
  cluster: Cluster;
  accumulator: RecordAccumulator;
  /** The producer's memory: while a send() waits for it, everything is sent as soon as possible. */
  pool: BufferPool;
  clock: Clock;
  logger: Logger;
  events: EventSink<ProducerRequestEvents>;
  retrier: Retrier;
  /** null when not idempotent. */
  identity: ProducerIdentity | null;
  codec: CompressionCodec | null;
  lingerMs: number;
  maxInFlightRequests: number;
  maxRequestBytes: number;
  deliveryTimeoutMs: number;
  requestTimeoutMs: number;
}

export class ProduceSender {
  /** > 0 while flush() or disconnect() waits: batches go out without lingering. */
  flushing = 0;
  private scheduled = false;
  private timer: TimerHandle = undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly inFlightByBroker = new Map<number, number>();
  /** Leaders a request came back from since their last request: their open batches go now. */
  private readonly returned = new Set<number>();
  private inFlight = 0;
  private readonly refreshing = new Set<string>();
  private bumpReason: string | null = null;
  private bumping = false;
  private fatalError: StrataError | null = null;
  private stopped = false;

  constructor(private readonly config: SenderConfig) {}

  get fatal(): StrataError | null {
    return this.fatalError;
  }

  /** Schedules a run (coalesced). */
  wake(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => this.run());
  }


  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    this.config.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Fails everything pending with `error`; later sends fail with it too. */
  failAll(error: StrataError): void {
    this.fatalError ??= error;
    const acc = this.config.accumulator;
    for (const q of [...acc.active]) for (const b of [...q.batches]) if (!b.inFlight) this.settleFailed(q, b, error, false);
  }

  private run(): void {
    this.scheduled = false;
    if (this.stopped || this.fatalError) return;
    const { accumulator: acc, clock, cluster, lingerMs } = this.config;
    const now = clock.now();
    const hurry = this.flushing > 0 || this.config.pool.exhausted;
    let nextAt = Number.POSITIVE_INFINITY;
    let ready: Map<number, PartitionQueue[]> | null = null;
    // Open batches that may wait, by leader: they ride along when their leader gets a request.
    let waiting: Map<number, PartitionQueue[]> | null = null;
    for (const q of acc.active) {
      nextAt = Math.min(nextAt, this.expire(q, now));
      const b = firstIdle(q);
      if (!b || !this.mayDrain(q, b)) continue;
      if (b.retryAt > now) {
        nextAt = Math.min(nextAt, b.retryAt);
        continue;
      }
      const leader = cluster.cachedLeader(q.topic, q.partition);
      if (leader < 0) {
        this.refresh(q.topic);
        continue;
      }
      if (!b.closed && !hurry) {
        if (lingerMs > 0) {
          const due = b.createdAt + lingerMs;
          if (now < due) {
            nextAt = Math.min(nextAt, due);
            waiting = addTo(waiting, leader, q);
            continue;
          }
        } else if ((this.inFlightByBroker.get(leader) ?? 0) > 0 && !this.returned.has(leader)) {
          waiting = addTo(waiting, leader, q); // a response or a full batch sends it
          continue;
        }
      }
      ready = addTo(ready, leader, q);
    }
    let more: number[] | null = null;
    if (ready) {
      for (const [leader, queues] of ready) {
        for (const q of waiting?.get(leader) ?? []) queues.push(q);
        if (this.drain(leader, queues, now)) (more ??= []).push(leader);
      }
    }
    // A response lets a leader's accumulated batches go once; what comes later waits for the next.
    for (const leader of this.returned) if (more === null || !more.includes(leader)) this.returned.delete(leader);
    if (this.bumpReason !== null) this.maybeBump();
    this.schedule(nextAt);
  }

  /**
   * Closes the partition's next batch for sending; false while it is being compressed (its
   * completion wakes the sender).
   */
  private take(q: PartitionQueue, b: PartitionBatch): boolean {
    if (!b.closed) this.config.accumulator.close(q, b);
    const codec = this.config.codec;
    if (codec === null || b.bytes !== null || b.compressionTried) return true;
    if (!b.compressing) void b.compress(codec, this.config.logger).then(() => this.wake());
    return false;
  }

  /** Fails batches past their delivery deadline; returns the next deadline of the queue. */
  private expire(q: PartitionQueue, now: number): number {
    const timeout = this.config.deliveryTimeoutMs;
    const batches = q.batches;
    let i = 0;
    while (i < batches.length) {
      const b = batches[i]!;
      if (b.inFlight) {
        i++;
        continue;
      }
      const deadline = b.createdAt + timeout;
      if (now < deadline) return deadline;
      const last = b.lastError;
      this.settleFailed(
        q,
        b,
        new StrataDeliveryTimeoutError(
          `${b.recordCount} record(s) for ${b.topic}-${b.partition} not acknowledged within deliveryTimeoutMs (${timeout} ms)${last ? ` after ${b.attempts} attempt(s): ${last.message}` : ''}`,
          timeout,
          last ? { cause: last } : {},
        ),
        true,
      );
    }
    return Number.POSITIVE_INFINITY;
  }

  private idempotent(b: PartitionBatch): boolean {
    return this.config.identity !== null && b.acks !== 0;
  }

  /** Ordering rules: may the partition's next idle batch go now? */
  private mayDrain(q: PartitionQueue, b: PartitionBatch): boolean {
    if (b.awaitingEpoch) return false;
    if (this.bumpReason !== null && !b.unresolved) return false;
    if (!this.idempotent(b) || q.retrying) return q.inFlight === 0;
    return q.inFlight < this.config.maxInFlightRequests;
  }

  /** Sends one request to `leader` with the queues' next batches; true when more could go (another run follows). */
  private drain(leader: number, queues: PartitionQueue[], now: number): boolean {
    const { maxInFlightRequests, maxRequestBytes, identity } = this.config;
    if ((this.inFlightByBroker.get(leader) ?? 0) >= maxInFlightRequests) return false;
    const batches: PartitionBatch[] = [];
    let acks: -1 | 0 | 1 | null = null;
    let bytes = 0;
    let left = false;
    for (const q of queues) {
      const b = firstIdle(q)!;
      if (acks !== null && b.acks !== acks) {
        left = true;
        continue;
      }
      if (batches.length > 0 && bytes + b.sizeInBytes > maxRequestBytes) {
        left = true;
        break;
      }
      if (!this.take(q, b)) continue;
      acks = b.acks;
      if (!b.bytes) {
        const idem = this.idempotent(b) && identity !== null;
        const seq = idem ? q.nextSequence : -1;
        if (idem) q.nextSequence = nextSequence(seq, b.recordCount);
        b.build(idem ? identity.producerId : -1, idem ? identity.producerEpoch : -1, seq);
      }
      bytes += b.bytes!.length;
      batches.push(b);
      b.inFlight = true;
      b.attempts++;
      q.inFlight++;
      const next = firstIdle(q);
      if (next && this.mayDrain(q, next)) left = true;
    }
    if (acks === null) return false;
    this.send(leader, batches, acks, bytes, now);
    if (left) this.wake();
    return left;
  }

  private send(leader: number, batches: PartitionBatch[], acks: -1 | 0 | 1, bytes: number, started: number): void {
    this.inFlight++;
    this.inFlightByBroker.set(leader, (this.inFlightByBroker.get(leader) ?? 0) + 1);
    const body = produceBody(batches, acks, (b) => this.config.cluster.cachedLeaderEpoch(b.topic, b.partition));
    const timeoutMs = body.timeoutMs;
    let request: Promise<ProduceResponse | null>;
    try {
      const broker = this.config.cluster.broker(leader);
      request =
        acks === 0
          ? broker.send('Produce', body).then(() => null)
          : broker.request('Produce', body, { timeoutMs: this.config.requestTimeoutMs + timeoutMs });
    } catch (error) {
      request = Promise.reject(error);
    }
    request.then(
      (response) => this.onResponse(leader, batches, response, acks, bytes, started),
      (error: unknown) => this.onFailure(leader, batches, asStrataError(error)),
    );
  }

  private release(leader: number): void {
    this.inFlight--;
    this.inFlightByBroker.set(leader, (this.inFlightByBroker.get(leader) ?? 1) - 1);
    this.returned.add(leader);
  }

  private onResponse(leader: number, batches: PartitionBatch[], response: ProduceResponse | null, acks: number, bytes: number, started: number): void {
    this.release(leader);
    const acc = this.config.accumulator;
    let records = 0;
    for (const b of batches) records += b.recordCount;
    if (response === null) {
      for (const b of batches) this.settleAcknowledged(acc.queue(b.topic, b.partition), b, -1);
    } else {
      const answered = new Set<PartitionBatch>();
      for (const t of response.topics) {
        for (const p of t.partitions) {
          const b = batches.find((x) => x.partition === p.partition && x.topic === t.name && !answered.has(x));
          if (!b) continue;
          answered.add(b);
          const q = acc.queue(b.topic, b.partition);
          if (p.errorCode === 0) this.settleAcknowledged(q, b, p.baseOffset);
          else this.onBatchError(q, b, errorFromCode(p.errorCode, p.errorMessage || undefined));
        }
      }
      for (const b of batches) {
        if (!answered.has(b)) this.onBatchError(acc.queue(b.topic, b.partition), b, errorFromCode(ERRORS.UNKNOWN_SERVER_ERROR.code, 'the Produce response does not mention this partition'));
      }
    }
    const events = this.config.events;
    if (events.listening('producer.request')) {
      events.emit('producer.request', { brokerId: leader, partitions: batches.length, records, bytes, acks, durationMs: this.config.clock.now() - started });
    }
    this.wake();
  }

  private onFailure(leader: number, batches: PartitionBatch[], error: StrataError): void {
    this.release(leader);
    const acc = this.config.accumulator;
    for (const b of batches) this.onBatchError(acc.queue(b.topic, b.partition), b, error);
    this.wake();
  }

  private onBatchError(q: PartitionQueue, b: PartitionBatch, error: StrataError): void {
    b.inFlight = false;
    q.inFlight--;
    b.lastError = error;
    if (this.fatalError) {
      this.settleFailed(q, b, this.fatalError, false);
      return;
    }
    const now = this.config.clock.now();
    const { retrier, deliveryTimeoutMs } = this.config;
    const verdict = judge(error, {
      idempotent: this.idempotent(b),
      oldest: q.batches[0] === b,
      batch: b,
      delayMs: retrier.delay(Math.max(0, b.attempts - 1)),
      retries: retrier.options.retries,
      now,
      deliveryTimeoutMs,
    });
    switch (verdict.kind) {
      case 'written':
        this.settleAcknowledged(q, b, -1);
        return;
      case 'resend':
      case 'new-epoch':
        b.unresolved = false;
        q.retrying = true;
        if (verdict.kind === 'new-epoch') {
          b.awaitingEpoch = true;
          this.requestBump(`${error.code} for ${b.topic}-${b.partition}: ${error.message}`);
        }
        return;
      case 'fatal':
        this.failAll(verdict.error);
        return;
      case 'retry':
        b.unresolved = true;
        b.retryAt = now + verdict.delayMs;
        q.retrying = true;
        if (isStaleMetadataError(error)) this.config.cluster.invalidate(b.topic);
        this.config.events.emit('producer.retry', { attempt: b.attempts, stage: 'produce', partitions: 1, delayMs: verdict.delayMs, error });
        return;
      case 'fail':
        this.settleFailed(q, b, verdict.error, true);
    }
  }


  private settleAcknowledged(q: PartitionQueue, b: PartitionBatch, baseOffset: number): void {
    if (b.inFlight) {
      b.inFlight = false;
      q.inFlight--;
    }
    this.config.accumulator.remove(q, b);
    if (q.retrying && !q.batches.some((x) => x.attempts > 0 && !x.inFlight)) q.retrying = false;
    b.acknowledge(baseOffset);
  }

  /** Fails a batch; `gap`: a sequenced batch of an idempotent producer left, so renumber. */
  private settleFailed(q: PartitionQueue, b: PartitionBatch, error: StrataError, gap: boolean): void {
    this.config.accumulator.remove(q, b);
    b.fail(error);
    if (gap && this.idempotent(b) && b.baseSequence >= 0 && !this.fatalError) this.requestBump(`a sequenced batch of ${b.topic}-${b.partition} failed: ${error.message}`);
  }

  private requestBump(reason: string): void {
    this.bumpReason ??= reason;
    this.wake();
  }

  /** Bumps the epoch once nothing is in flight and no batch has an unknown outcome. */
  private maybeBump(): void {
    const identity = this.config.identity;
    if (this.bumping || this.inFlight > 0 || !identity) return;
    if (unresolvedOutcomes(this.config.accumulator)) return;
    this.bumping = true;
    const reason = this.bumpReason ?? '';
    identity.bump().then(
      () => {
        this.bumping = false;
        this.bumpReason = null;
        renumber(this.config.accumulator, identity.producerId, identity.producerEpoch);
        this.config.logger.warn(`idempotent producer ${identity.producerId} moved to epoch ${identity.producerEpoch}: ${reason}`);
        this.config.events.emit('producer.epoch', { producerId: identity.producerId, producerEpoch: identity.producerEpoch, reason });
        this.wake();
      },
      (error: unknown) => {
        this.bumping = false;
        const e = asStrataError(error);
        if (!isRetriable(e)) {
          this.failAll(e);
          return;
        }
        this.schedule(this.config.clock.now() + this.config.retrier.delay(0));
      },
    );
  }

  /** Fetches metadata of a topic whose leader is unknown; fails its batches if the topic is gone. */
  private refresh(topic: string): void {
    if (this.refreshing.has(topic)) return;
    this.refreshing.add(topic);
    this.config.cluster.refreshMetadata([topic]).then(
      () => {
        this.refreshing.delete(topic);
        this.wake();
      },
      (error: unknown) => {
        this.refreshing.delete(topic);
        const e = asStrataError(error);
        if (!isRetriable(e)) {
          for (const q of [...this.config.accumulator.active]) {
            if (q.topic !== topic) continue;
            for (const b of [...q.batches]) if (!b.inFlight) this.settleFailed(q, b, e, true);
          }
        }
        const delayMs = this.config.retrier.delay(0);
        this.config.events.emit('producer.retry', { attempt: 0, stage: 'metadata', partitions: 0, delayMs, error: e });
        this.schedule(this.config.clock.now() + delayMs);
      },
    );
  }

  private schedule(at: number): void {
    if (at === Number.POSITIVE_INFINITY || this.stopped) {
      // Nothing waits for time: drop a pending timer so it keeps no process alive.
      if (at === Number.POSITIVE_INFINITY && this.config.accumulator.active.size === 0 && !this.bumping) {
        this.config.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
      }
      return;
    }
    if (this.timer !== undefined && this.timerAt <= at) return;
    const clock = this.config.clock;
    clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, at - clock.now()));
  }
}
