/**
 * The checker: reads a run's history and final state, names each anomaly class and counts it.
 * It works on files only, so a saved run can be checked again (`node dist/check.js <history>`):
 * `history.jsonl` with `final.json` beside it, and the brokers' data folders where final.json says.
 * The verdict is valid when every anomaly count is zero. Pure apart from reading files.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readHistory } from '../history';
import { ANOMALY_CLASSES, ANOMALY_NAMES, Tally, type AnomalyClass } from './anomalies';
import { readFinalState, type FinalState } from './final-state';
import { checkGroup } from './group-checks';
import { buildModel, type HistoryModel } from './history-model';
import { Observations, checkQueue, indexFinalRead } from './queue-checks';
import { checkReplicas, type ReplicaSummary } from './replica-checks';

export interface Verdict {
  valid: boolean;
  anomalies: Record<AnomalyClass, number>;
  /** A few examples of each anomaly found. */
  examples: Record<AnomalyClass, string[]>;
  faults: Record<string, number>;
  stats: {
    ops: number;
    sendsInvoked: number;
    sendsAcknowledged: number;
    sendsIndeterminate: number;
    recordsFinalRead: number;
    finalReadComplete: boolean;
    polls: number;
    recordsPolled: number;
    commitsAcknowledged: number;
    commitsFailed: number;
    committedReads: number;
    probes: number;
    probeMs: number[];
    replicas: ReplicaSummary | null;
  };
}

export function checkModel(model: HistoryModel, final: FinalState | null, baseDir: string): Verdict {
  const tally = new Tally();
  const observations = new Observations();
  const index = indexFinalRead(model);
  checkQueue(model, index, observations, tally);
  checkGroup(model, tally);
  const replicas = final ? checkReplicas(final, baseDir, observations, tally) : null;
  observations.tally(tally);
  const sends = [...model.sends.values()];
  return {
    valid: tally.total === 0,
    anomalies: tally.counts,
    examples: tally.examples,
    faults: model.faults,
    stats: {
      ops: model.ops,
      sendsInvoked: sends.length,
      sendsAcknowledged: sends.filter((s) => s.outcome === 'ok').length,
      sendsIndeterminate: sends.filter((s) => s.outcome !== 'ok').length,
      recordsFinalRead: index.records,
      finalReadComplete: model.finalReads.size > 0 && [...model.finalReads.values()].every((r) => r.outcome === 'ok'),
      polls: model.polls.length,
      recordsPolled: model.polls.reduce((s, p) => s + p.value.records.length, 0),
      commitsAcknowledged: model.commits.filter((c) => c.outcome === 'ok').length,
      commitsFailed: model.commits.filter((c) => c.outcome !== 'ok').length,
      committedReads: model.committedReads.length,
      probes: model.probes.length,
      probeMs: model.probes.map((p) => Math.round((p.value as { ms?: number }).ms ?? -1)),
      replicas,
    },
  };
}

/** Checks the run whose history is at `historyPath` (final.json beside it, when there is one). */
export function checkHistoryFile(historyPath: string): Verdict {
  const dir = dirname(historyPath);
  const finalPath = join(dir, 'final.json');
  const final = existsSync(finalPath) ? readFinalState(finalPath) : null;
  return checkModel(buildModel(readHistory(historyPath)), final, dir);
}

/** The verdict as lines of text: faults, records, anomalies by class with examples. */
export function formatVerdict(v: Verdict): string {
  const s = v.stats;
  const faults = Object.entries(v.faults).sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    `faults: ${faults.reduce((n, [, c]) => n + c, 0)} (${faults.map(([k, c]) => `${k} ${c}`).join(', ') || 'none'})`,
    `sends: ${s.sendsInvoked} invoked, ${s.sendsAcknowledged} acknowledged, ${s.sendsIndeterminate} indeterminate`,
    `final read: ${s.recordsFinalRead} records${s.finalReadComplete ? '' : ' (INCOMPLETE: some partition was not read up to its high watermark)'}`,
    `polls: ${s.polls} (${s.recordsPolled} records); commits: ${s.commitsAcknowledged} acknowledged, ${s.commitsFailed} failed; committed-offset reads: ${s.committedReads}`,
    `probes with the ISR at the leader alone: ${s.probes}${s.probes > 0 ? ` (refused after ${s.probeMs.join(', ')} ms)` : ''}`,
    s.replicas ? `replicas: ${s.replicas.replicasRead} read, ${s.replicas.partitionsCompared} partitions compared, ${s.replicas.bytesCompared} bytes below the high watermarks` : 'replicas: not checked (no final.json)',
    `anomalies: ${ANOMALY_NAMES.reduce((n, k) => n + v.anomalies[k], 0)}${v.valid ? ' — valid' : ' — INVALID'}`,
  ];
  for (const k of ANOMALY_NAMES) {
    lines.push(`  ${k}: ${v.anomalies[k]}`);
    if (v.anomalies[k] > 0) {
      lines.push(`    (${ANOMALY_CLASSES[k]})`);
      for (const e of v.examples[k]) lines.push(`    - ${e}`);
    }
  }
  return lines.join('\n');
}
