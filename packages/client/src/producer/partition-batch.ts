/**
 * PartitionBatch: one record batch of one partition, from its first record to its settlement.
 *
 * Life: open (records are encoded straight into its RecordBatchBuilder as send() hands them over;
 * its buffer grows with load, each growth reserved in the BufferPool first) -> closed (it reached
 * `limit`, or the sender took it; compressed by the sender when the producer compresses) -> sent
 * (built once, when first sent: producer id, epoch and sequence go in the header then; retries
 * resend the same bytes) -> settled (acknowledged or failed; its memory goes back to the pool).
 *
 * Invariants: the builder's buffer is exactly `reserved` bytes and never grows by itself (fits()
 * is checked before each append; grow() reserves first), so `reserved` is the batch's memory and
 * never exceeds `limit`; the records of one send() call form runs of consecutive message
 * positions, kept as (call, first, count), so settling costs one loop per run and nothing is
 * allocated per record but its result. Single-threaded.
 */
import { BATCH_HEADER_SIZE, RecordBatchBuilder, restampProducerState, type CompressionCodecId, type RecordInput, type StrataError } from '@strata/protocol';
import type { CompressionCodec } from '../codecs/compression-codec';
import type { Logger } from '../logger';
import type { SendCall } from './send-call';

export class PartitionBatch {
  private builder: RecordBatchBuilder | null;
  /** The bytes sent, set when first sent. */
  bytes: Uint8Array | null = null;
  /** The compressed records section, once compression finished (codec != 0). */
  compressed: Uint8Array | null = null;
  compressing = false;
  /** Compression was tried (done or failed): the batch may be built. */
  compressionTried = false;
  /** No more appends. */
  closed = false;
  recordCount = 0;
  /** Sequence of the first record under `producerEpoch`; -1 until sent by an idempotent producer. */
  baseSequence = -1;
  producerEpoch = -1;
  /** Times sent. */
  attempts = 0;
  /** Why the last attempt failed (named in a DELIVERY_TIMEOUT, so the cause is not lost). */
  lastError: Error | null = null;
  /** Not to be sent again before this time (retry backoff). */
  retryAt = 0;
  inFlight = false;
  /** The last attempt failed without telling whether the broker wrote it. */
  unresolved = false;
  /** The broker refused its sequence for sure (state mismatch): it waits for a new epoch. */
  awaitingEpoch = false;
  /** The broker-side timeout of the request carrying it (the largest asked by its send() calls). */
  timeoutMs: number;
  private readonly calls: SendCall[] = [];
  private readonly firsts: number[] = [];
  private readonly counts: number[] = [];

  private reservedBytes: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Bytes reserved in the BufferPool for it at first (its initial buffer). */
    reserved: number,
    /** Largest size the batch may reach, header included (the topic's limit, batchSize). */
    readonly limit: number,
    readonly createdAt: number,
    readonly acks: -1 | 0 | 1,
    timeoutMs: number,
    readonly codec: CompressionCodecId,
  ) {
    this.builder = new RecordBatchBuilder({ initialCapacity: reserved });
    this.reservedBytes = reserved;
    this.timeoutMs = timeoutMs;
  }

  /** Bytes this batch holds in the BufferPool (its buffer). */
  get reserved(): number {
    return this.reservedBytes;
  }

  /** Uncompressed size so far, header included. */
  get sizeInBytes(): number {
    return this.bytes ? this.bytes.length : (this.builder?.sizeInBytes ?? 0);
  }

  /** True when a record taking `bytes` fits in the buffer reserved so far. */
  fits(bytes: number): boolean {
    return !this.closed && this.builder !== null && this.builder.sizeInBytes + bytes <= this.reservedBytes;
  }

  /**
   * Bytes to reserve so that a record taking `bytes` fits (the buffer doubles, up to `limit`), or
   * -1 when it would take the batch past `limit`: the batch is full for it.
   */
  growthFor(bytes: number): number {
    const need = this.sizeInBytes + bytes;
    if (this.closed || this.builder === null || need > this.limit) return -1;
    return Math.min(this.limit, Math.max(need, 2 * this.reservedBytes)) - this.reservedBytes;
  }

  /** Grows the buffer by `bytes`, already reserved in the pool. */
  grow(bytes: number): void {
    this.reservedBytes += bytes;
    this.builder!.reserve(this.reservedBytes);
  }

  /** Encodes a record; message `position` of `call`. Check fits() first. */
  append(record: RecordInput, now: number, call: SendCall, position: number): void {
    this.builder!.append(record, now);
    this.recordCount++;
    const n = this.calls.length - 1;
    if (n >= 0 && this.calls[n] === call && this.firsts[n]! + this.counts[n]! === position) this.counts[n]!++;
    else {
      this.calls.push(call);
      this.firsts.push(position);
      this.counts.push(1);
    }
  }

  /** Compresses the records section (once, of a closed batch); on failure the batch goes uncompressed. */
  async compress(codec: CompressionCodec, logger: Logger): Promise<void> {
    const builder = this.builder;
    if (!builder || this.compressing || this.compressionTried) return;
    this.compressing = true;
    try {
      this.compressed = await codec.compress(builder.recordsSection());
    } catch (error) {
      logger.warn(`${codec.name} compression failed, sending the batch uncompressed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.compressing = false;
      this.compressionTried = true;
    }
  }

  /**
   * The bytes to send, built on first use with the producer state (-1s when not idempotent).
   * A compressed section larger than the limit (incompressible data) is sent uncompressed instead.
   */
  build(producerId: number, producerEpoch: number, baseSequence: number): Uint8Array {
    if (this.bytes) return this.bytes;
    const builder = this.builder!;
    builder.setProducerState(producerId, producerEpoch, baseSequence);
    const compressed = this.compressed;
    this.bytes =
      compressed && BATCH_HEADER_SIZE + compressed.length <= Math.min(this.limit, builder.sizeInBytes) ? builder.buildCompressed(compressed, this.codec) : builder.build();
    this.builder = null;
    this.compressed = null;
    this.baseSequence = baseSequence;
    this.producerEpoch = producerEpoch;
    return this.bytes;
  }

  /** Renumbers a built batch under a new epoch. */
  restamp(producerId: number, producerEpoch: number, baseSequence: number): void {
    if (!this.bytes) return;
    restampProducerState(this.bytes, 0, producerId, producerEpoch, baseSequence);
    this.baseSequence = baseSequence;
    this.producerEpoch = producerEpoch;
  }

  /** Every record written from `baseOffset` on (-1: offsets unknown, acks=0 or an old duplicate). */
  acknowledge(baseOffset: number): void {
    let offset = baseOffset;
    for (let i = 0; i < this.calls.length; i++) {
      const count = this.counts[i]!;
      this.calls[i]!.acknowledge(this.firsts[i]!, count, this.topic, this.partition, offset);
      if (offset >= 0) offset += count;
    }
  }

  fail(error: StrataError): void {
    for (let i = 0; i < this.calls.length; i++) this.calls[i]!.fail(this.firsts[i]!, this.counts[i]!, error);
  }
}
