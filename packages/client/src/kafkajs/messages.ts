/**
 * Messages in KafkaJS's shapes, both ways: what a KafkaJS program sends (`Message`: string or
 * Buffer key and value, headers as an object whose values may be arrays, a string timestamp) into
 * the SDK's ProducerMessage; and what it receives (`KafkaMessage`: Buffers, string offset and
 * timestamp, headers as an object, repeated keys as arrays; `Batch` with string offsets) from the
 * SDK's ConsumerMessage. Keys, values and header values stay views of the fetched bytes.
 */
import type { Buffer } from 'node:buffer';
import type { ConsumerMessage, MessageBatch } from '../consumer/consumer-message';
import type { ProducerMessage } from '../producer/producer-types';
import { invalidOption } from './errors';
import { checkKeys, parseTimestamp } from './options';

/** Headers as KafkaJS takes and gives them; a received header without value is null. */
export interface IHeaders {
  [key: string]: Buffer | string | null | Array<Buffer | string> | undefined;
}

export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  /** Milliseconds since the epoch, as a string (a number is accepted too). */
  timestamp?: string;
}

/** A received message. */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Milliseconds since the epoch. */
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  size?: never;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

const MESSAGE_KEYS = ['key', 'value', 'partition', 'headers', 'timestamp'] as const;

/** A KafkaJS message as the SDK's (validated: unknown keys and bad values are refused by name). */
export function toProducerMessage(m: Message, where: string): ProducerMessage {
  if (!m || typeof m !== 'object') throw invalidOption(where, 'expected a message { key?, value, headers?, partition?, timestamp? }');
  checkKeys(m, MESSAGE_KEYS, where);
  if (m.value === undefined) throw invalidOption(`${where}.value`, 'a message needs a value (null for a tombstone)');
  const out: ProducerMessage = { value: m.value };
  if (m.key !== undefined) out.key = m.key;
  if (m.partition !== undefined && m.partition !== null) out.partition = m.partition;
  if (m.timestamp !== undefined && m.timestamp !== null) out.timestamp = parseTimestamp(m.timestamp, `${where}.timestamp`);
  if (m.headers !== undefined && m.headers !== null) {
    if (typeof m.headers !== 'object' || Array.isArray(m.headers)) throw invalidOption(`${where}.headers`, 'expected an object { key: value | [values] }');
    const list: Array<{ key: string; value: string | Uint8Array | null }> = [];
    for (const [key, value] of Object.entries(m.headers)) {
      if (value === undefined) continue; // KafkaJS skips undefined header values
      for (const v of Array.isArray(value) ? value : [value]) list.push({ key, value: v });
    }
    out.headers = list;
  }
  return out;
}

/** A received message in KafkaJS's shape (headers: an object; a repeated key becomes an array). */
export function toKafkaMessage(m: ConsumerMessage<Buffer>): KafkaMessage {
  const headers: IHeaders = {};
  for (const h of m.headers) {
    const existing = headers[h.key];
    if (existing === undefined) headers[h.key] = h.value;
    else if (Array.isArray(existing)) existing.push(h.value ?? '');
    else headers[h.key] = [existing ?? '', h.value ?? ''];
  }
  return { key: m.key, value: m.value, timestamp: String(m.timestamp), attributes: 0, offset: String(m.offset), headers };
}

/** A fetched batch in KafkaJS's shape, offsets as strings. */
export function toKafkaBatch(batch: MessageBatch<Buffer>): Batch {
  const messages = batch.messages.map(toKafkaMessage);
  const hw = batch.highWatermark;
  const first = batch.firstOffset();
  const last = batch.lastOffset() ?? hw - 1;
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: String(hw),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => (first === null ? null : String(first)),
    lastOffset: () => String(last),
    offsetLag: () => String(Math.max(0, hw - 1 - last)),
    offsetLagLow: () => String(Math.max(0, hw - 1 - (first ?? last))),
  };
}
