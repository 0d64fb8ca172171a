/**
 * ProducerStateManager: what one partition knows about idempotent producers, so retried batches
 * are written once.
 *
 * Per producer id: its current epoch and the last five batches it wrote here (first and last
 * sequence, first and last offset). A batch from a known producer is
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

export const SNAPSHOT_SUFFIX = '.snapshot';
const WINDOW = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;

export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
  /** Log generation when appended: an acknowledgement waits on the original write. */
  generation: number;
}

interface ProducerEntry {
  producerId: number;
  epoch: number;
  batches: ProducerBatch[];
  /** Broker clock at the last append, for expiration. */
  lastTimestamp: number;
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; batch: ProducerBatch };

function lastSequence(header: Pick<RecordBatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number {
  const s = header.baseSequence + header.lastOffsetDelta;
  return s > MAX_SEQUENCE ? s - MAX_SEQUENCE - 1 : s;
}

function nextSequence(seq: number): number {
  return seq === MAX_SEQUENCE ? 0 : seq + 1;
}

export function isIdempotent(header: Pick<RecordBatchHeader, 'producerId'>): boolean {
  return header.producerId >= 0;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  private changes = 0;

  /** Moves whenever the state changes (checkpoints skip unchanged snapshots). */
  get version(): number {
    return this.changes;
  }

  constructor(private readonly dir: string) {}

  get size(): number {
    return this.producers.size;
  }

  /** Decides what to do with an idempotent batch. Throws StrataError when it must be refused. */
  check(header: RecordBatchHeader): SequenceCheck {
    const entry = this.producers.get(header.producerId);
    const seq = header.baseSequence;
    if (seq < 0) throw new StrataError(ERRORS.INVALID_RECORD, `idempotent batch of producer ${header.producerId} has no sequence`);
    if (!entry) {
      if (seq !== 0) {
        throw new StrataError(ERRORS.UNKNOWN_PRODUCER_ID, `no state for producer ${header.producerId} on this partition (sequence ${seq}); it expired or was never written here`);
      }
      return { kind: 'append' };
    }
    if (header.producerEpoch < entry.epoch) {
      throw new StrataError(ERRORS.INVALID_PRODUCER_EPOCH, `producer ${header.producerId} epoch ${header.producerEpoch} is fenced by epoch ${entry.epoch}`);
    }
    if (header.producerEpoch > entry.epoch) {
      if (seq !== 0) throw new StrataError(ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER, `a new epoch of producer ${header.producerId} must start at sequence 0, got ${seq}`);
      return { kind: 'append' };
    }
    const last = lastSequence(header);
    for (const b of entry.batches) if (b.firstSeq === seq && b.lastSeq === last) return { kind: 'duplicate', batch: b };
    const newest = entry.batches[entry.batches.length - 1];
    const expected = newest ? nextSequence(newest.lastSeq) : 0;
    if (seq === expected) return { kind: 'append' };
    if (seq < expected) {
      throw new StrataError(ERRORS.DUPLICATE_SEQUENCE_NUMBER, `producer ${header.producerId} sequence ${seq} was already written (expected ${expected})`);
    }
    throw new StrataError(ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${header.producerId} sent sequence ${seq}, expected ${expected}`);
  }

  /** Records an appended (or replayed) idempotent batch. */
  record(header: RecordBatchHeader, baseOffset: number, generation: number, now: number): void {
    this.changes++;
    let entry = this.producers.get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      entry = { producerId: header.producerId, epoch: header.producerEpoch, batches: [], lastTimestamp: now };
      this.producers.set(header.producerId, entry);
    }
    entry.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequence(header), baseOffset, lastOffset: baseOffset + header.lastOffsetDelta, generation });
    if (entry.batches.length > WINDOW) entry.batches.shift();
    entry.lastTimestamp = now;
  }

  /** Forgets batches at or after `offset` (a failed write or a truncation took them back). */
  truncateFrom(offset: number): void {
    this.changes++;
    for (const [id, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.baseOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(id);
    }
  }

  /** Drops producers idle for longer than `maxIdleMs`. */
  expire(now: number, maxIdleMs: number): number {
    let n = 0;
    for (const [id, entry] of this.producers) {
      if (now - entry.lastTimestamp > maxIdleMs) {
        this.changes++;
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Writes `<offset>.snapshot` (state up to `offset`) and removes older snapshots but one. */
  async snapshot(offset: number): Promise<void> {
    const producers = [...this.producers.values()]
      .map((e) => ({ ...e, batches: e.batches.filter((b) => b.lastOffset < offset).map(({ generation: _g, ...b }) => b) }))
      .filter((e) => e.batches.length > 0);
    await writeFileAtomic(join(this.dir, snapshotName(offset)), JSON.stringify({ version: 1, offset, producers }) + '\n');
    const older = (await this.snapshotOffsets()).filter((o) => o < offset);
    for (const o of older.slice(0, -1)) await removeIfExists(join(this.dir, snapshotName(o)));
  }

  /**
   * Loads the newest snapshot at or below `logEndOffset` (deleting any beyond it) and returns
   * its offset, from which the caller replays batch headers; 0 when there is none.
   */
  async load(logEndOffset: number): Promise<number> {
    this.changes++;
    this.producers.clear();
    const offsets = await this.snapshotOffsets();
    for (const o of offsets.filter((x) => x > logEndOffset)) await removeIfExists(join(this.dir, snapshotName(o)));
    for (const o of offsets.filter((x) => x <= logEndOffset).reverse()) {
      const raw = await readFileIfExists(join(this.dir, snapshotName(o)));
      if (!raw) continue;
      try {
        const data = JSON.parse(raw.toString('utf8')) as { version: number; offset: number; producers: Array<Omit<ProducerEntry, 'batches'> & { batches: Array<Omit<ProducerBatch, 'generation'>> }> }; // our own file, written atomically
        if (data.version !== 1) continue;
        for (const p of data.producers) this.producers.set(p.producerId, { ...p, batches: p.batches.map((b) => ({ ...b, generation: 0 })) });
        return data.offset;
      } catch {
        // A damaged snapshot: try an older one (or rebuild from the log).
        this.producers.clear();
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
