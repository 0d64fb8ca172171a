/**
 * The replicas after healing: for each partition, every replica's batches below the high
 * watermark must be there (replica-incomplete otherwise) and byte-identical across replicas
 * (replica-divergence otherwise; compared with the first complete replica). Every record of every
 * replica below the high watermark is also an observation (inconsistent-offset) and a replica may
 * not hold one value twice (duplicate).
 */
import { join } from 'node:path';
import type { Tally } from './anomalies';
import type { FinalState } from './final-state';
import type { Observations } from './queue-checks';
import { prefixBelow, readReplica } from './replicas';

export interface ReplicaSummary {
  partitionsCompared: number;
  replicasRead: number;
  bytesCompared: number;
}

export function checkReplicas(final: FinalState, baseDir: string, observations: Observations, tally: Tally): ReplicaSummary {
  const summary: ReplicaSummary = { partitionsCompared: 0, replicasRead: 0, bytesCompared: 0 };
  for (let p = 0; p < final.partitions; p++) {
    const hw = final.highWatermarks[String(p)];
    const replicas = final.replicas[String(p)] ?? [];
    if (hw === null || hw === undefined || replicas.length === 0) continue;
    summary.partitionsCompared++;
    let reference: { id: number; bytes: Buffer } | null = null;
    for (const id of replicas) {
      const dir = final.dataDirs[String(id)];
      if (!dir) continue;
      const log = readReplica(join(baseDir, dir), final.topic, p);
      summary.replicasRead++;
      const seen = new Map<string, number>();
      for (const b of log.batches) {
        if (b.lastOffset >= hw) break;
        for (const [o, v] of b.records) {
          observations.add(p, o, v, `replica on broker ${id}`);
          const before = seen.get(v);
          if (before !== undefined) tally.add('duplicate', `${v} at ${p}:${before} and ${p}:${o} on broker ${id}`);
          seen.set(v, o);
        }
      }
      const prefix = prefixBelow(log, hw);
      if (!prefix.reaches) {
        tally.add('replica-incomplete', `broker ${id}'s replica of partition ${p} ends at ${log.logEndOffset}, below the high watermark ${hw}${log.error ? ` (${log.error})` : ''}`);
        continue;
      }
      summary.bytesCompared += prefix.bytes.length;
      if (!reference) reference = { id, bytes: prefix.bytes };
      else if (!reference.bytes.equals(prefix.bytes)) {
        let at = 0;
        while (at < prefix.bytes.length && prefix.bytes[at] === reference.bytes[at]) at++;
        tally.add('replica-divergence', `partition ${p}: broker ${id}'s bytes below the high watermark ${hw} differ from broker ${reference.id}'s at byte ${at} (${prefix.bytes.length} vs ${reference.bytes.length} bytes)`);
      }
    }
  }
  return summary;
}
