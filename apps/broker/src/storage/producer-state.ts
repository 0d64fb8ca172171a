/**
 * ProducerStateManager: what one partition knows about idempotent producers, so retried batches
 * are written once.
 *
 * Per producer id: its current epoch and the last five batches it wrote here (first and last
 * sequence, first and last offset), in a ProducerTable (typed-array columns: ~150 bytes a
 * producer, so 50 producers on 1,000 partitions take ~7 MiB). A batch from a known producer is
 * - a duplicate when its sequences equal one of those five: it is acknowledged with the original
 *   offset and not written again;
 * - in sequence when its first sequence follows the last one (sequences wrap at 2^31 - 1);
 * - otherwise refused: OUT_OF_ORDER_SEQUENCE_NUMBER for a gap, DUPLICATE_SEQUENCE_NUMBER for an
 *   older batch that has left the window, INVALID_PRODUCER_EPOCH for a fenced (older) epoch.
 * A new epoch must start at sequence 0; an unknown producer id at sequence 0 (else
 * UNKNOWN_PRODUCER_ID: its state expired or was never here).
 *
 * State changes when a batch is appended (before it is written), so a retry that arrives while the
 * original is still being written is recognised. A failed write rolls state back with the log.
 *
 * Persistence: `<offset>.snapshot` files (JSON, written atomically) beside the segments, at every
 * recovery checkpoint and at shutdown. At load, the newest snapshot at or below the log end is
 * read and the batch headers after it are replayed. Not thread-safe: event loop only.
 */
import { join } from 'node:path';
import { ERRORS, StrataError, type RecordBatchHeader } from '@strata/protocol';
import { listDir, readFileIfExists, removeIfExists, writeFileAtomic } from '../util/fs-io';
import { ProducerTable, WINDOW, wrapSequence, type StoredBatch } from './producer-table';

export const SNAPSHOT_SUFFIX = '.snapshot';
const MAX_SEQUENCE = 2 ** 31 - 1;

export type ProducerBatch = StoredBatch;

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; batch: ProducerBatch };

const APPEND: SequenceCheck = Object.freeze({ kind: 'append' });

/** A producer as the snapshot file stores it. */
interface SnapshotProducer {
  producerId: number;
  epoch: number;
  batches: Array<Omit<ProducerBatch, 'generation'>>;
  lastTimestamp: number;
}

function lastSequence(header: Pick<RecordBatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number {
  return wrapSequence(header.baseSequence + header.lastOffsetDelta);
}

function nextSequence(seq: number): number {
  return seq === MAX_SEQUENCE ? 0 : seq + 1;
}

export function isIdempotent(header: Pick<RecordBatchHeader, 'producerId'>): boolean {
  return header.producerId >= 0;
}

export class ProducerStateManager {
  private readonly table = new ProducerTable();
  private changes = 0;

  /** Moves whenever the state changes (checkpoints skip unchanged snapshots). */
  get version(): number {
    return this.changes;
  }

  constructor(private readonly dir: string) {}

  get size(): number {
    return this.table.size;
  }

  /** Bytes of typed arrays holding the state (see ProducerTable; the Map adds ~30 bytes a producer). */
  get memoryBytes(): number {
    return this.table.columnBytes;
  }

  /** Decides what to do with an idempotent batch. Throws StrataError when it must be refused. */
  check(header: RecordBatchHeader): SequenceCheck {
    const t = this.table;
    const slot = t.slotOf(header.producerId);
    const seq = header.baseSequence;
    if (seq < 0) throw new StrataError(ERRORS.INVALID_RECORD, `idempotent batch of producer ${header.producerId} has no sequence`);
    if (slot < 0) {
      if (seq !== 0) {
        throw new StrataError(ERRORS.UNKNOWN_PRODUCER_ID, `no state for producer ${header.producerId} on this partition (sequence ${seq}); it expired or was never written here`);
      }
      return APPEND;
    }
    const epoch = t.epoch(slot);
    if (header.producerEpoch < epoch) {
      throw new StrataError(ERRORS.INVALID_PRODUCER_EPOCH, `producer ${header.producerId} epoch ${header.producerEpoch} is fenced by epoch ${epoch}`);
    }
    if (header.producerEpoch > epoch) {
      if (seq !== 0) throw new StrataError(ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER, `a new epoch of producer ${header.producerId} must start at sequence 0, got ${seq}`);
      return APPEND;
    }
    const last = lastSequence(header);
    const count = t.count(slot);
    for (let i = 0; i < count; i++) if (t.firstSeq(slot, i) === seq && t.lastSeq(slot, i) === last) return { kind: 'duplicate', batch: t.batch(slot, i) };
    const expected = count > 0 ? nextSequence(t.lastSeq(slot, count - 1)) : 0;
    if (seq === expected) return APPEND;
    if (seq < expected) {
      throw new StrataError(ERRORS.DUPLICATE_SEQUENCE_NUMBER, `producer ${header.producerId} sequence ${seq} was already written (expected ${expected})`);
    }
    throw new StrataError(ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${header.producerId} sent sequence ${seq}, expected ${expected}`);
  }

  /** Records an appended (or replayed) idempotent batch. */
  record(header: RecordBatchHeader, baseOffset: number, generation: number, now: number): void {
    this.changes++;
    const t = this.table;
    let slot = t.slotOf(header.producerId);
    if (slot < 0 || header.producerEpoch > t.epoch(slot)) slot = t.reset(header.producerId, header.producerEpoch, now);
    t.push(slot, header.baseSequence, header.lastOffsetDelta, baseOffset, generation, now);
  }

  /** Forgets batches at or after `offset` (a failed write or a truncation took them back). */
  truncateFrom(offset: number): void {
    this.changes++;
    const t = this.table;
    for (const [id, slot] of t.entries()) {
      let keep = t.count(slot);
      while (keep > 0 && t.baseOffset(slot, keep - 1) >= offset) keep--;
      if (keep === 0) t.remove(id);
      else t.keepOldest(slot, keep);
    }
  }

  /** Drops producers idle for longer than `maxIdleMs`. */
  expire(now: number, maxIdleMs: number): number {
    let n = 0;
    const t = this.table;
    for (const [id, slot] of t.entries()) {
      if (now - t.lastTimestamp(slot) > maxIdleMs) {
        this.changes++;
        t.remove(id);
        n++;
      }
    }
    return n;
  }

  /** Writes `<offset>.snapshot` (state up to `offset`) and removes older snapshots but one. */
  async snapshot(offset: number): Promise<void> {
    // Built as text directly (every field is a number): a checkpoint snapshots every partition
    // that changed, and objects per producer and batch only to stringify them were garbage.
    const t = this.table;
    const producers: string[] = [];
    for (const [id, slot] of t.entries()) {
      const batches: string[] = [];
      for (let i = 0; i < t.count(slot); i++) {
        const b = t.batch(slot, i);
        if (b.lastOffset < offset) batches.push(`{"firstSeq":${b.firstSeq},"lastSeq":${b.lastSeq},"baseOffset":${b.baseOffset},"lastOffset":${b.lastOffset}}`);
      }
      if (batches.length > 0) producers.push(`{"producerId":${id},"epoch":${t.epoch(slot)},"batches":[${batches.join(',')}],"lastTimestamp":${t.lastTimestamp(slot)}}`);
    }
    await writeFileAtomic(join(this.dir, snapshotName(offset)), `{"version":1,"offset":${offset},"producers":[${producers.join(',')}]}\n`);
    const older = (await this.snapshotOffsets()).filter((o) => o < offset);
    for (const o of older.slice(0, -1)) await removeIfExists(join(this.dir, snapshotName(o)));
  }

  /**
   * Loads the newest snapshot at or below `logEndOffset` (deleting any beyond it) and returns
   * its offset, from which the caller replays batch headers; 0 when there is none.
   */
  async load(logEndOffset: number): Promise<number> {
    this.changes++;
    this.table.clear();
    const offsets = await this.snapshotOffsets();
    for (const o of offsets.filter((x) => x > logEndOffset)) await removeIfExists(join(this.dir, snapshotName(o)));
    for (const o of offsets.filter((x) => x <= logEndOffset).reverse()) {
      const raw = await readFileIfExists(join(this.dir, snapshotName(o)));
      if (!raw) continue;
      try {
        const data = JSON.parse(raw.toString('utf8')) as { version: number; offset: number; producers: SnapshotProducer[] }; // our own file, written atomically
        if (data.version !== 1) continue;
        for (const p of data.producers) {
          const slot = this.table.reset(p.producerId, p.epoch, p.lastTimestamp);
          // Older files may hold more batches than the window: the newest count.
          for (const b of p.batches.slice(-WINDOW)) this.table.push(slot, b.firstSeq, b.lastOffset - b.baseOffset, b.baseOffset, 0, p.lastTimestamp);
        }
        return data.offset;
      } catch {
        // A damaged snapshot: try an older one (or rebuild from the log).
        this.table.clear();
      }
    }
    return 0;
  }

  private async snapshotOffsets(): Promise<number[]> {
    return (await listDir(this.dir))
      .filter((n) => n.endsWith(SNAPSHOT_SUFFIX) && /^\d{20}\.snapshot$/.test(n))
      .map((n) => Number(n.slice(0, 20)))
      .sort((a, b) => a - b);
  }
}

function snapshotName(offset: number): string {
  return String(offset).padStart(20, '0') + SNAPSHOT_SUFFIX;
}
