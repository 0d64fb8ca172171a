/**
 * Reads one replica of a partition from a broker's data folder, as the checker needs it: the
 * batches of the `<topic>-<partition>/*.log` segments in offset order (bytes verbatim, the way
 * the broker stored them) and the records they hold. The folder is read after the run, with the
 * brokers stopped; nothing here writes.
 *
 * A segment that ends in a torn or invalid batch stops the walk there (`error` says where): the
 * checker compares only what lies below the high watermark, which every in-sync replica must hold
 * intact.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, compressionOf, decodeRecords, iterateBatches, lastOffsetOf } from '@strata/protocol';

export interface ReplicaBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Uint8Array;
  /** [offset, value] of its records (empty when compressed: the workload does not compress). */
  records: Array<[number, string]>;
}

export interface ReplicaLog {
  batches: ReplicaBatch[];
  /** Offset after the last batch read. */
  logEndOffset: number;
  /** Why the walk stopped early, or null. */
  error: string | null;
}

const utf8 = new TextDecoder();

export function readReplica(dataDir: string, topic: string, partition: number): ReplicaLog {
  const folder = join(dataDir, `${topic}-${partition}`);
  const out: ReplicaLog = { batches: [], logEndOffset: 0, error: null };
  if (!existsSync(folder)) {
    out.error = `no folder ${folder}`;
    return out;
  }
  const segments = readdirSync(folder)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort();
  for (const name of segments) {
    const buf = readFileSync(join(folder, name));
    try {
      for (const b of iterateBatches(buf, { validate: true, maxBatchBytes: Number.MAX_SAFE_INTEGER })) {
        const h = b.header;
        const records: Array<[number, string]> = [];
        if (compressionOf(h.attributes) === 0) {
          for (const r of decodeRecords(b.bytes.subarray(BATCH_HEADER_SIZE), h)) records.push([r.offset, r.value ? utf8.decode(r.value) : '']);
        }
        out.batches.push({ baseOffset: h.baseOffset, lastOffset: lastOffsetOf(h), bytes: b.bytes, records });
        out.logEndOffset = lastOffsetOf(h) + 1;
      }
    } catch (e) {
      out.error = `${name}: ${(e as Error).message}`;
      break;
    }
  }
  return out;
}

/** The batches wholly below `offset`, concatenated, and whether they reach exactly up to it. */
export function prefixBelow(log: ReplicaLog, offset: number): { bytes: Buffer; reaches: boolean } {
  const parts: Uint8Array[] = [];
  let end = log.batches[0]?.baseOffset ?? 0;
  for (const b of log.batches) {
    if (b.lastOffset >= offset) break;
    parts.push(b.bytes);
    end = b.lastOffset + 1;
  }
  return { bytes: Buffer.concat(parts), reaches: end >= offset || offset === 0 };
}
