/**
 * RecordAccumulator: per-partition queues of record batches (Kafka's RecordAccumulator).
 *
 * send() appends each record to its partition's open batch; a batch closes when the next record
 * does not fit (`batchSize`, capped by the topic's max.message.bytes), when the sender takes it
 * after `lingerMs`, or on flush. Closed batches are compressed in the background. The sender takes
 * batches from the queue heads and removes them when they settle, so a queue always lists a
 * partition's unsettled batches in the order their records were sent.
 *
 * Invariants: each queue has at most one open batch, its last; every batch holds `reserved` bytes
 * of the BufferPool until it settles; `active` holds exactly the queues that have batches.
 * Single-threaded: appends run synchronously inside send(), the sender between them.
 */
import { BATCH_HEADER_SIZE, RecordBatchBuilder, type CompressionCodecId, type RecordInput } from '@strata/protocol';
import type { BufferPool } from './buffer-pool';
import { PartitionBatch } from './partition-batch';
import type { SendCall } from './send-call';

/** A partition's batches, oldest first, and its sending state. */
export class PartitionQueue {
  readonly batches: PartitionBatch[] = [];
  /** The open batch (the last one), if any. */
  open: PartitionBatch | null = null;
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
  batchSize: number;
  codec: CompressionCodecId;
  /** Called when a batch closes: compress it, tell a sticky partitioner, wake the sender. */
  onClose: (queue: PartitionQueue, batch: PartitionBatch) => void;
}

/** What append() did: 0 appended, -1 the record is over the limit, > 0 a new batch needs that many bytes. */
export type AppendOutcome = number;
export const APPENDED = 0;
export const TOO_LARGE = -1;

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

  /**
   * Appends `record` (whose size is at most `upper`) to the queue's open batch when it fits;
   * otherwise closes that batch and says how many bytes a new one needs (reserve them, then call
   * appendToNew), or TOO_LARGE when the record alone exceeds `maxBatchBytes`.
   */
  append(q: PartitionQueue, record: RecordInput, upper: number, call: SendCall, position: number, now: number, acks: -1 | 0 | 1, maxBatchBytes: number): AppendOutcome {
    const open = q.open;
    if (open !== null && open.acks === acks) {
      if (open.fits(upper)) {
        open.append(record, now, call, position);
        return APPENDED;
      }
      const exact = RecordBatchBuilder.estimateRecordSize(record);
      if (open.fits(exact)) {
        open.append(record, now, call, position);
        return APPENDED;
      }
    }
    const exact = RecordBatchBuilder.estimateRecordSize(record);
    if (BATCH_HEADER_SIZE + exact > maxBatchBytes) return TOO_LARGE;
    if (open !== null) this.close(q, open);
    return Math.max(Math.min(this.config.batchSize, maxBatchBytes), BATCH_HEADER_SIZE + exact);
  }

  /**
   * Appends to a new batch of `capacity` bytes, already reserved in the pool. When another send()
   * opened a batch meanwhile and the record fits there, the reservation goes back instead.
   */
  appendToNew(q: PartitionQueue, record: RecordInput, capacity: number, call: SendCall, position: number, now: number, acks: -1 | 0 | 1, timeoutMs: number): void {
    const open = q.open;
    if (open !== null && open.acks === acks && open.fits(RecordBatchBuilder.estimateRecordSize(record))) {
      this.pool.release(capacity);
      open.append(record, now, call, position);
      return;
    }
    if (open !== null) this.close(q, open);
    const batch = new PartitionBatch(q.topic, q.partition, capacity, capacity, now, acks, timeoutMs, this.config.codec);
    q.batches.push(batch);
    q.open = batch;
    this.active.add(q);
    batch.append(record, now, call, position);
  }

  /** Raises the broker-side timeout of the open batch of `q` (a send() asked for more). */
  noteTimeout(q: PartitionQueue, timeoutMs: number): void {
    const open = q.open;
    if (open !== null && open.timeoutMs < timeoutMs) open.timeoutMs = timeoutMs;
  }

  /** Closes a batch: no more appends. */
  close(q: PartitionQueue, batch: PartitionBatch): void {
    if (batch.closed) return;
    batch.closed = true;
    if (q.open === batch) q.open = null;
    this.config.onClose(q, batch);
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
