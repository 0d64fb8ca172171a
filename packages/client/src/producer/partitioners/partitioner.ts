/**
 * Partitioners choose a partition for each message that does not name one. A custom partitioner is
 * a plain function; the built-in ones are objects that may also keep per-topic state (sticky).
 */
import type { ProducerMessage } from '../producer-types';

export interface PartitionerArgs {
  topic: string;
  partitionCount: number;
  message: ProducerMessage;
}

/**
 * A custom partitioner: returns a partition in [0, partitionCount). The arguments object is reused
 * from one message to the next: read it, do not keep it.
 */
export type PartitionerFn = (args: PartitionerArgs) => number;

/** Internal form of a partitioner. */
export interface Partitioner {
  partition(args: PartitionerArgs): number;
  /** Told when a batch of `topic`/`partition` closed (full or taken by the sender): a sticky partitioner moves on. */
  onBatchClosed?(topic: string, partition: number): void;
}

/** Built-in partitioner names. */
export type PartitionerName = 'default' | 'round-robin';
