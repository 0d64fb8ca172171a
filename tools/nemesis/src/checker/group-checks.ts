/**
 * The group workload's checks:
 * - commit-backwards: a read of the committed offsets (the monitor's, and the final one) may never
 *   return less, for a partition, than a read that completed before it was invoked, nor less than
 *   a commit acknowledged before it was invoked (commits are linearizable: once acknowledged, every
 *   later read sees it or something newer);
 * - group-gap: every offset below the final committed offset of a partition was handed to some
 *   member (a member commits only what it processed, starting from the committed offset, so a hole
 *   means the group skipped records it claims to have consumed).
 * Times of different processes come from one machine clock; a margin of a millisecond keeps
 * operations that overlap from being ordered by accident.
 */
import type { Tally } from './anomalies';
import type { HistoryModel } from './history-model';

const CLOCK_MARGIN_MS = 1;

export function checkGroup(model: HistoryModel, tally: Tally): void {
  // What was known at each moment: completed commits (ok) and completed reads.
  const known: Array<{ t: number; offsets: Record<string, number>; what: string }> = [];
  for (const c of model.commits) if (c.outcome === 'ok') known.push({ t: c.completeT, offsets: c.value, what: `commit by ${c.process}` });
  for (const r of model.committedReads) known.push({ t: r.completeT, offsets: r.value, what: `read by ${r.process}` });
  known.sort((a, b) => a.t - b.t);
  const reads = [...model.committedReads].sort((a, b) => a.invokeT - b.invokeT);
  const floor = new Map<string, { offset: number; what: string }>();
  let k = 0;
  for (const read of reads) {
    while (k < known.length && known[k]!.t < read.invokeT - CLOCK_MARGIN_MS) {
      for (const [p, offset] of Object.entries(known[k]!.offsets)) {
        if (offset >= 0 && offset > (floor.get(p)?.offset ?? -1)) floor.set(p, { offset, what: known[k]!.what });
      }
      k++;
    }
    for (const [p, f] of floor) {
      const got = read.value[p] ?? -1;
      if (got < f.offset) tally.add('commit-backwards', `${read.final ? 'final read' : `read by ${read.process}`} of partition ${p} returned ${got} after ${f.what} had ${f.offset}`);
    }
  }

  // Holes below the final committed offsets.
  const final = [...model.committedReads].filter((r) => r.final).pop();
  if (!final) return;
  const delivered = new Map<number, Set<number>>();
  for (const poll of model.polls) {
    if (poll.value.member === undefined) continue;
    const set = delivered.get(poll.value.p) ?? new Set<number>();
    for (const [o] of poll.value.records) set.add(o);
    delivered.set(poll.value.p, set);
  }
  for (const [key, committed] of Object.entries(final.value)) {
    const p = Number(key);
    const set = delivered.get(p) ?? new Set<number>();
    let missing = 0;
    let first = -1;
    for (let o = 0; o < committed; o++) {
      if (set.has(o)) continue;
      if (first < 0) first = o;
      missing++;
    }
    if (missing > 0) tally.add('group-gap', `partition ${p}: ${missing} offset(s) below the committed ${committed} never handed to a member (the first: ${first})`, missing);
  }
}
