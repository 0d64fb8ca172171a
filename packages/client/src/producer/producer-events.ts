/** Instrumentation events of the producer's sender. */

export interface ProducerRequestEvents {
  /** A Produce request completed (or, with acks = 0, was written). */
  'producer.request': { brokerId: number; partitions: number; records: number; bytes: number; acks: number; durationMs: number };
  /**
   * A retriable failure: looking up metadata (`stage: 'metadata'`) or sending to some partitions
   * (`stage: 'produce'`) will be tried again after `delayMs`.
   */
  'producer.retry': { attempt: number; stage: 'metadata' | 'produce'; partitions: number; delayMs: number; error: Error };
  /** The idempotent producer moved to a new epoch (its sequences restart at 0). */
  'producer.epoch': { producerId: number; producerEpoch: number; reason: string };
}
