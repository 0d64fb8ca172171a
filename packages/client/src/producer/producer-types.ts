/** Messages, send arguments and results of the producer. */

/** Keys, values and header values: UTF-8 strings, bytes (a Node Buffer is a Uint8Array), or null. */
export type MessageBytes = string | Uint8Array | null;

/**
 * Headers as an ordered list (duplicates allowed, as in Kafka) or as an object (one value per key).
 */
export type MessageHeaders = ReadonlyArray<{ key: string; value: MessageBytes }> | Readonly<Record<string, MessageBytes>>;

export interface ProducerMessage {
  /** null or omitted: no key (sticky partitioning); an empty string or array is a key. */
  key?: MessageBytes;
  /** null: a tombstone. */
  value: MessageBytes;
  headers?: MessageHeaders | null;
  /** Explicit partition; wins over the partitioner. */
  partition?: number;
  /** Milliseconds since the epoch; default: the time of send(). */
  timestamp?: number;
}

/**
 * Acknowledgements: 0 = none (the broker sends no response), 1 = the leader wrote it, -1 / 'all' =
 * durable (fsynced under the broker's durable setting; all in-sync replicas once replication exists).
 */
export type Acks = -1 | 0 | 1 | 'all';

export interface ProducerRecord {
  topic: string;
  messages: readonly ProducerMessage[];
  /** @default the producer's `acks` (-1) */
  acks?: Acks;
  /** How long the broker may wait for acknowledgement, in milliseconds. @default the producer's `timeoutMs` */
  timeout?: number;
}

export interface TopicMessages {
  topic: string;
  messages: readonly ProducerMessage[];
}

export interface ProducerBatch {
  topicMessages: readonly TopicMessages[];
  acks?: Acks;
  timeout?: number;
}

/** Where one message was written. `offset` is -1 with acks = 0 (the broker does not say). */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}
