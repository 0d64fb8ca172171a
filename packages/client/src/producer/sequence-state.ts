/**
 * Sequence bookkeeping of an idempotent producer over the accumulator's queues: which batch a
 * partition sends next, whether any batch still has an unknown outcome (an epoch bump waits for
 * those), and renumbering every partition from 0 under a new epoch. Single-threaded.
 */
import type { PartitionBatch } from './partition-batch';
import type { PartitionQueue, RecordAccumulator } from './record-accumulator';

const MAX_SEQUENCE = 2 ** 31 - 1;

/** The sequence after `count` records from `seq` (sequences wrap at 2^31 - 1, as the broker's). */
export function nextSequence(seq: number, count: number): number {
  return (seq + count) % (MAX_SEQUENCE + 1);
}

/** The partition's oldest batch that is not in flight. */
export function firstIdle(q: PartitionQueue): PartitionBatch | undefined {
  const batches = q.batches;
  for (let i = 0; i < batches.length; i++) if (!batches[i]!.inFlight) return batches[i];
  return undefined;
}

/**
 * True while some batch's last attempt failed without telling whether it was written. Behind a
 * batch refused for its sequence nothing can have been written (the broker takes a partition's
 * sequences in order), so those count as refused too.
 */
export function unresolvedOutcomes(acc: RecordAccumulator): boolean {
  for (const q of acc.active) {
    let refused = false;
    for (const b of q.batches) {
      if (b.awaitingEpoch) refused = true;
      else if (refused) b.unresolved = false;
      else if (b.unresolved) return true;
    }
  }
  return false;
}

/** Numbers every partition again from 0 under a new epoch; built idempotent batches are restamped. */
export function renumber(acc: RecordAccumulator, producerId: number, producerEpoch: number): void {
  for (const q of acc.queues()) {
    q.nextSequence = 0;
    for (const b of q.batches) {
      b.awaitingEpoch = false;
      if (!b.bytes || b.baseSequence < 0) continue;
      b.restamp(producerId, producerEpoch, q.nextSequence);
      q.nextSequence = nextSequence(q.nextSequence, b.recordCount);
    }
  }
}
