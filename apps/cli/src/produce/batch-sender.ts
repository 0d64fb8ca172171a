/**
 * Sends records read from stdin in batches, with one send in flight at a time: records added while
 * a send is in flight wait and go out together in the next one. A fast input therefore makes large
 * batches (one request per round trip, not per line), a slow one (a person typing) sends each line
 * at once, and the order of lines is kept within every partition.
 *
 * Back-pressure: `waitForRoom()` blocks the reader while the waiting batch is full.
 * Not thread-safe; one instance per produce command.
 */
import type { Acks, Producer, ProducerMessage, RecordMetadata } from '@strata/client';

export interface BatchSenderOptions {
  producer: Producer;
  topic: string;
  acks: Acks;
  /** The reader waits once this many records wait to be sent. */
  maxBatchRecords: number;
  /** The reader waits once this many key and value bytes wait to be sent. */
  maxBatchBytes: number;
}

/** What was written to one partition. */
export interface PartitionSummary {
  partition: number;
  records: number;
  /** Offset of the last record written; null with acks=0 (the broker does not say). */
  lastOffset: number | null;
}

export class BatchSender {
  private pending: ProducerMessage[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  private readonly partitions = new Map<number, PartitionSummary>();
  private sent = 0;

  constructor(private readonly options: BatchSenderOptions) {}

  /** Queues a record; `bytes` is its size, for the batch limit. Call `send()` after a group of adds. */
  add(message: ProducerMessage, bytes: number): void {
    this.pending.push(message);
    this.pendingBytes += bytes;
  }

  /** Starts sending the waiting records unless a send is in flight (it sends them when it ends). */
  send(): void {
    if (this.inFlight || this.failure || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.inFlight = this.options.producer.send({ topic: this.options.topic, messages: batch, acks: this.options.acks }).then(
      (results) => {
        this.record(results);
        this.inFlight = null;
        this.send();
      },
      (error: unknown) => {
        this.failure = { error };
        this.inFlight = null;
      },
    );
  }

  /** Resolves once the waiting batch has room; rejects if a send failed. */
  async waitForRoom(): Promise<void> {
    this.send();
    while (this.isFull() && this.inFlight) await this.inFlight;
    this.throwIfFailed();
  }

  /** Sends everything added and waits for it; rejects if a send failed. */
  async flush(): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      this.send();
      if (!this.inFlight) return;
      await this.inFlight;
    }
  }

  /** Records acknowledged so far. */
  get records(): number {
    return this.sent;
  }

  /** Per partition, in partition order. */
  summary(): PartitionSummary[] {
    return [...this.partitions.values()].sort((a, b) => a.partition - b.partition);
  }

  private isFull(): boolean {
    return this.pending.length >= this.options.maxBatchRecords || this.pendingBytes >= this.options.maxBatchBytes;
  }

  private record(results: readonly RecordMetadata[]): void {
    this.sent += results.length;
    for (const r of results) {
      let s = this.partitions.get(r.partition);
      if (!s) {
        s = { partition: r.partition, records: 0, lastOffset: null };
        this.partitions.set(r.partition, s);
      }
      s.records++;
      if (r.offset >= 0 && (s.lastOffset === null || r.offset > s.lastOffset)) s.lastOffset = r.offset;
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
