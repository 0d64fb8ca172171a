/**
 * Turns the messages of one send() into record batches: picks each message's partition, groups the
 * messages of a partition, and encodes them straight into RecordBatchBuilders (no intermediate
 * record objects). A partition's messages go into one batch, or several back to back when they
 * exceed the broker's batch size limit; a single message over the limit is MESSAGE_TOO_LARGE.
 *
 * Issue "producer" replaces the one-shot grouping with per-partition accumulators (linger, batch
 * size, compression, sequence numbers); the PartitionBatch it produces stays the sender's input.
 */
import { BATCH_HEADER_SIZE, ERRORS, RecordBatchBuilder, StrataError, type RecordInput } from '@strata/protocol';
import type { TopicMetadataEntry } from '../cluster/metadata-cache';
import { StrataArgumentError } from '../errors';
import type { Partitioner, PartitionerArgs } from './partitioners/partitioner';
import type { MessageBytes, MessageHeaders, ProducerMessage } from './producer-types';

/** The records of one partition in one Produce request. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  /** One or more complete record batches, back to back. */
  records: Uint8Array;
  /** For each record, in order, the position of its message in the send's result array. */
  positions: number[];
}

export interface PlanInput {
  topic: string;
  messages: readonly ProducerMessage[];
  metadata: TopicMetadataEntry;
  /** Position of messages[0] in the result array. */
  firstPosition: number;
}

type HeaderList = ReadonlyArray<{ key: string; value: MessageBytes }>;

/** Groups and encodes. `now` stamps messages without a timestamp. */
export function planBatches(inputs: readonly PlanInput[], partitioner: Partitioner, now: number, maxBatchBytes: number): PartitionBatch[] {
  const out: PartitionBatch[] = [];
  for (const input of inputs) {
    const { topic, messages, metadata } = input;
    const partitionCount = metadata.partitions.length;
    const groups = new Map<number, number[]>();
    // One arguments object per topic, refilled for each message: no allocation per message.
    const args: PartitionerArgs = { topic, partitionCount, message: messages[0]! };
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const explicit = message.partition;
      let partition: number;
      if (explicit === undefined) {
        args.message = message;
        partition = partitioner.partition(args);
      } else partition = explicit;
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        const source = explicit === undefined ? 'the partitioner returned' : 'message.partition is';
        throw new StrataError(
          ERRORS.UNKNOWN_TOPIC_OR_PARTITION,
          `topic "${topic}" has partitions 0-${partitionCount - 1}, but for message ${i} ${source} ${String(partition)}`,
        );
      }
      let group = groups.get(partition);
      if (!group) groups.set(partition, (group = []));
      group.push(i);
    }
    for (const [partition, indexes] of groups) {
      out.push(encodePartition(topic, partition, messages, indexes, input.firstPosition, now, maxBatchBytes));
    }
  }
  return out;
}

function encodePartition(
  topic: string,
  partition: number,
  messages: readonly ProducerMessage[],
  indexes: readonly number[],
  firstPosition: number,
  now: number,
  maxBatchBytes: number,
): PartitionBatch {
  const capacity = Math.min(maxBatchBytes + 64, BATCH_HEADER_SIZE + 64 + indexes.length * 96);
  let builder = new RecordBatchBuilder({ initialCapacity: capacity });
  const built: Uint8Array[] = [];
  const positions = new Array<number>(indexes.length);
  const record: RecordInput = { key: null, value: null, headers: null, timestamp: now };
  for (let j = 0; j < indexes.length; j++) {
    const i = indexes[j]!;
    const m = messages[i]!;
    checkBytes(m.key, 'key', i);
    checkBytes(m.value, 'value', i);
    record.key = m.key ?? null;
    record.value = m.value;
    record.headers = toHeaderList(m.headers);
    record.timestamp = m.timestamp ?? now;
    const upper = upperBound(record);
    if (builder.sizeInBytes + upper > maxBatchBytes) {
      const exact = RecordBatchBuilder.estimateRecordSize(record);
      if (BATCH_HEADER_SIZE + exact > maxBatchBytes) {
        throw new StrataError(
          ERRORS.MESSAGE_TOO_LARGE,
          `message ${i} for topic "${topic}" takes ${exact} bytes; the broker accepts record batches of at most ${maxBatchBytes} bytes`,
        );
      }
      if (builder.recordCount > 0 && builder.sizeInBytes + exact > maxBatchBytes) {
        built.push(builder.build());
        builder = new RecordBatchBuilder({ initialCapacity: capacity });
      }
    }
    builder.append(record, now);
    positions[j] = firstPosition + i;
  }
  built.push(builder.build());
  return { topic, partition, records: built.length === 1 ? built[0]! : concat(built), positions };
}

function checkBytes(v: unknown, field: string, i: number): void {
  if (v === null || v === undefined || typeof v === 'string' || v instanceof Uint8Array) return;
  throw new StrataArgumentError(`message ${i}: ${field} must be a string, a Uint8Array (or Buffer) or null, got ${typeof v}`);
}

function isHeaderList(headers: MessageHeaders): headers is HeaderList {
  return Array.isArray(headers);
}

function toHeaderList(headers: MessageHeaders | null | undefined): HeaderList | null {
  if (headers === null || headers === undefined) return null;
  if (isHeaderList(headers)) return headers;
  if (typeof headers !== 'object') throw new StrataArgumentError('message headers must be an array of { key, value } or an object');
  const list: { key: string; value: MessageBytes }[] = [];
  for (const key of Object.keys(headers)) list.push({ key, value: headers[key] ?? null });
  return list;
}

/** A cheap upper bound of the bytes a record adds (strings count 3 bytes per UTF-16 unit). */
function upperBound(record: RecordInput): number {
  let n = 28 + fieldUpper(record.key) + fieldUpper(record.value);
  const headers = record.headers;
  if (headers) for (let i = 0; i < headers.length; i++) n += 10 + headers[i]!.key.length * 3 + fieldUpper(headers[i]!.value);
  return n;
}

function fieldUpper(v: string | Uint8Array | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? v.length * 3 : v.length;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
