/**
 * The queue workload's checks, on the paired history and the final read:
 * lost-write, unseen-write, duplicate, out-of-order, dirty-read, phantom-read, poll-skip,
 * poll-backwards, minority probes; and `Observations`, every (partition, offset, value) seen
 * anywhere, from which inconsistent-offset is counted once the replicas have added theirs.
 *
 * Values are `<producer>-<seq>`, unique per run; seq grows in the order the producer called send().
 */
import type { Tally } from './anomalies';
import type { HistoryModel } from './history-model';

/** What was seen at each offset, and where. */
export class Observations {
  private readonly at = new Map<string, Map<string, string>>();

  add(partition: number, offset: number, value: string, source: string): void {
    const key = `${partition}:${offset}`;
    let values = this.at.get(key);
    if (!values) this.at.set(key, (values = new Map()));
    if (!values.has(value)) values.set(value, source);
  }

  tally(tally: Tally): void {
    for (const [key, values] of this.at) {
      if (values.size < 2) continue;
      tally.add('inconsistent-offset', `${key} holds ${[...values].map(([v, src]) => `${v} (${src})`).join(' and ')}`);
    }
  }
}

/** The final read as lookups: where each value is, and how far each partition was read. */
export interface FinalIndex {
  positions: Map<string, Array<{ p: number; o: number }>>;
  /** Partition -> offset after the last record read. */
  reach: Map<number, number>;
  records: number;
}

export function indexFinalRead(model: HistoryModel): FinalIndex {
  const index: FinalIndex = { positions: new Map(), reach: new Map(), records: 0 };
  for (const [p, read] of model.finalReads) {
    let reach = 0;
    for (const [o, v] of read.value.records) {
      index.records++;
      const list = index.positions.get(v) ?? [];
      list.push({ p, o });
      index.positions.set(v, list);
      reach = Math.max(reach, o + 1);
    }
    // A complete read reached the high watermark even if the last records were not the producers'.
    index.reach.set(p, read.outcome === 'ok' ? Math.max(reach, read.value.hw) : reach);
  }
  return index;
}

function parseValue(v: string): { producer: string; seq: number } | null {
  const m = /^(.*)-(\d+)$/.exec(v);
  return m ? { producer: m[1]!, seq: Number(m[2]) } : null;
}

export function checkQueue(model: HistoryModel, final: FinalIndex, observations: Observations, tally: Tally): void {
  const sent = new Set<string>([...model.sends.keys(), ...model.probes.map((p) => p.value.v)]);

  // Acknowledged sends: where they were acknowledged, and whether the final read has them.
  for (const [v, s] of model.sends) {
    if (s.outcome !== 'ok' || s.value.o === undefined) continue;
    const { p, o } = s.value;
    observations.add(p, o, v, `acknowledged to ${s.process}`);
    if (final.positions.has(v)) continue;
    if ((final.reach.get(p) ?? 0) > o) tally.add('lost-write', `${v} acknowledged at ${p}:${o}, absent from the final read of partition ${p}`);
    else tally.add('unseen-write', `${v} acknowledged at ${p}:${o}; the final read of partition ${p} stopped at ${final.reach.get(p) ?? 0}`);
  }

  // The final read: duplicates, order per producer, phantoms.
  for (const [v, positions] of final.positions) {
    if (positions.length > 1) tally.add('duplicate', `${v} at ${positions.map((x) => `${x.p}:${x.o}`).join(', ')}`);
    if (!sent.has(v)) tally.add('phantom-read', `${v} at ${positions.map((x) => `${x.p}:${x.o}`).join(', ')} was never sent`);
  }
  for (const [p, read] of model.finalReads) {
    const last = new Map<string, { seq: number; o: number }>();
    const records = [...read.value.records].sort((a, b) => a[0] - b[0]);
    for (const [o, v] of records) {
      observations.add(p, o, v, 'final read');
      const parsed = parseValue(v);
      if (!parsed) continue;
      const prev = last.get(parsed.producer);
      if (prev && parsed.seq < prev.seq) tally.add('out-of-order', `${v} at ${p}:${o} after ${parsed.producer}-${prev.seq} at ${p}:${prev.o}`);
      else last.set(parsed.producer, { seq: parsed.seq, o });
    }
  }

  // Polls: what consumers saw must be what the log holds; assign-mode positions move one by one.
  const expected = new Map<string, number>();
  const dirty = new Set<string>();
  for (const poll of model.polls) {
    const { p, records } = poll.value;
    const assignMode = poll.value.member === undefined;
    for (const [o, v] of records) {
      observations.add(p, o, v, `poll by ${poll.process}`);
      if (!sent.has(v)) tally.add('phantom-read', `${v} polled at ${p}:${o} by ${poll.process} was never sent`);
      else if (!final.positions.has(v) && (final.reach.get(p) ?? 0) > o && !dirty.has(v)) {
        dirty.add(v);
        tally.add('dirty-read', `${poll.process} read ${v} at ${p}:${o}; the final read does not hold it`);
      }
      if (!assignMode) continue;
      const key = `${poll.process}/${p}`;
      const next = expected.get(key) ?? 0;
      if (o > next) tally.add('poll-skip', `${poll.process} read ${p}:${o} after ${p}:${next - 1} (skipped ${o - next})`);
      else if (o < next) tally.add('poll-backwards', `${poll.process} read ${p}:${o} after ${p}:${next - 1}`);
      expected.set(key, o + 1);
    }
  }

  // Probes while the ISR was the leader alone.
  for (const probe of model.probes) {
    const { p, code, cause } = probe.value as { p: number; code?: string; cause?: string };
    if (probe.outcome === 'ok') tally.add('minority-write-accepted', `${probe.value.v} to partition ${p} acknowledged with ISR [${probe.value.isr.join(',')}]`);
    else if (probe.outcome !== 'pending' && code !== 'NOT_ENOUGH_REPLICAS' && cause !== 'NOT_ENOUGH_REPLICAS') tally.add('minority-not-refused', `${probe.value.v} to partition ${p}: ${probe.error ?? code}`);
  }
}
