/**
 * RecordAccumulator: per-partition queues of record batches (Kafka's RecordAccumulator), and the
 * memory they hold.
 *
 * send() appends each record to its partition's open batch. A batch starts small and grows with
 * load (its buffer doubles, each growth reserved in the BufferPool first) up to its `limit`
 * (`batchSize`, capped by the topic's max.message.bytes); it closes when the next record would
 * take it past the limit, or when the sender takes it. The sender takes batches from the queue
 * heads and removes them when they settle, so a queue always lists a partition's unsettled
 * batches in the order their records were sent. The accumulator calls nobody: the appender puts
 * records in, the sender takes batches out.
 *
 * Invariants: each queue has at most one open batch, its last; every batch holds `reserved`
 * bytes of the BufferPool until it settles; `active` holds exactly the queues that have batches.
 * Single-threaded: appends run synchronously inside send(), the sender between them.
 */
import { BATCH_HEADER_SIZE, type CompressionCodecId, type RecordInput } from '@strata/protocol';
import type { BufferPool } from './buffer-pool';
import { PartitionBatch } from './partition-batch';
import type { SendCall } from './send-call';

/** Bytes a new batch reserves at first (more when its first record is larger); it grows from there. */
export const INITIAL_BATCH_BYTES = 16 * 1024;

/** A partition's batches, oldest first, and its sending state. */
export class PartitionQueue {
  readonly batches: PartitionBatch[] = [];
  /** The open batch (the last one), if any. */
  open: PartitionBatch | null = null;
  /** Batches ever opened here (a sticky partitioner moves on when one more is needed). */
  opened = 0;
  /** Batches of this partition in flight. */
  inFlight = 0;
  /** Sequence of the next batch's first record (idempotence). */
  nextSequence = 0;
  /** A batch failed: resend one at a time, oldest first, until the failed ones are through. */
  retrying = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
}

export interface AccumulatorConfig {
  /** Largest batch, header included (the topic's own limit may be lower). */
  batchSize: number;
  codec: CompressionCodecId;
}

/** Where and how a record goes: its partition's queue, its exact size, its call and position. */
export interface Placement {
  queue: PartitionQueue;
  record: RecordInput;
  /** Bytes the record adds to a batch (RecordBatchBuilder.estimateRecordSize). */
  size: number;
  call: SendCall;
  position: number;
  acks: -1 | 0 | 1;
  timeoutMs: number;
  /** The topic's largest batch. */
  maxBatchBytes: number;
}

export class RecordAccumulator {
  private readonly topics = new Map<string, PartitionQueue[]>();
  /** Queues with at least one batch. */
  readonly active = new Set<PartitionQueue>();

  constructor(
    private readonly pool: BufferPool,
    private readonly config: AccumulatorConfig,
  ) {}

  queue(topic: string, partition: number): PartitionQueue {
    let list = this.topics.get(topic);
    if (!list) this.topics.set(topic, (list = []));
    return (list[partition] ??= new PartitionQueue(topic, partition));
  }

  /** Largest batch for a topic whose own limit is `maxBatchBytes`. */
  limit(maxBatchBytes: number): number {
    return Math.min(this.config.batchSize, maxBatchBytes);
  }

  /** True when a record of `size` bytes cannot go in any batch of a topic limited to `maxBatchBytes`. */
  tooLarge(size: number, maxBatchBytes: number): boolean {
    return BATCH_HEADER_SIZE + size > maxBatchBytes;
  }

  /** Bytes a new batch for a record of `size` reserves. */
  newBatchBytes(size: number, maxBatchBytes: number): number {
    const limit = this.limit(maxBatchBytes);
    return Math.max(BATCH_HEADER_SIZE + size, Math.min(INITIAL_BATCH_BYTES, limit));
  }

  /**
   * Appends to the queue's open batch when the record fits, growing the batch when the pool has
   * room at once. Otherwise closes that batch (full, or another acks) and returns false: the
   * record needs a new batch (newBatchBytes, then appendToNew).
   */
  tryAppend(p: Placement, now: number): boolean {
    const q = p.queue;
    const open = q.open;
    if (open === null) return false;
    if (open.acks === p.acks) {
      if (!open.fits(p.size)) {
        const growth = open.growthFor(p.size);
        if (growth < 0 || !this.pool.tryAllocate(growth)) {
          this.close(q, open);
          return false;
        }
        open.grow(growth);
      }
      this.add(open, p, now);
      return true;
    }
    this.close(q, open);
    return false;
  }

  /**
   * Appends to a new batch of `reserved` bytes, already reserved in the pool. When another send()
   * opened a batch meanwhile and the record fits there, the reservation goes back instead.
   */
  appendToNew(p: Placement, reserved: number, now: number): void {
    const q = p.queue;
    const open = q.open;
    if (open !== null && open.acks === p.acks && open.fits(p.size)) {
      this.pool.release(reserved);
      this.add(open, p, now);
      return;
    }
    if (open !== null) this.close(q, open);
    const batch = new PartitionBatch(q.topic, q.partition, reserved, this.limit(p.maxBatchBytes), now, p.acks, p.timeoutMs, this.config.codec);
    q.batches.push(batch);
    q.open = batch;
    q.opened++;
    this.active.add(q);
    this.add(batch, p, now);
  }

  private add(batch: PartitionBatch, p: Placement, now: number): void {
    batch.append(p.record, now, p.call, p.position);
    if (batch.timeoutMs < p.timeoutMs) batch.timeoutMs = p.timeoutMs;
  }

  /** Closes a batch: no more appends. */
  close(q: PartitionQueue, batch: PartitionBatch): void {
    batch.closed = true;
    if (q.open === batch) q.open = null;
  }

  /** Removes a settled batch and gives its memory back. */
  remove(q: PartitionQueue, batch: PartitionBatch): void {
    const i = q.batches.indexOf(batch);
    if (i < 0) return;
    q.batches.splice(i, 1);
    if (q.open === batch) q.open = null;
    if (q.batches.length === 0) this.active.delete(q);
    this.pool.release(batch.reserved);
  }

  /** Every queue (for epoch changes). */
  *queues(): Generator<PartitionQueue> {
    for (const list of this.topics.values()) for (const q of list) if (q) yield q;
  }

  /** Records waiting or in flight. */
  get recordCount(): number {
    let n = 0;
    for (const q of this.active) for (const b of q.batches) n += b.recordCount;
    return n;
  }
}
