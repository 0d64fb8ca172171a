/**
 * The anomaly classes the checker names, what each means, and a tally that counts them and keeps
 * a few examples of each (the first ones found) for the report.
 */

export const ANOMALY_CLASSES = {
  'lost-write': 'an acknowledged send whose value is gone: the final read reached past its acknowledged offset without finding it',
  'unseen-write': 'an acknowledged send the final read never returned, and the final read stopped before its offset',
  'inconsistent-offset': 'one offset of a partition holding two different values across acknowledgements, polls, the final read and the replicas',
  duplicate: 'one value at two offsets (the producers are idempotent: a retry must never write twice)',
  'out-of-order': 'records of one producer in one partition not in the order it sent them',
  'dirty-read': 'a consumer read a record that the final read does not hold (it read what was later lost)',
  'phantom-read': 'a record nobody sent',
  'poll-skip': 'an assign-mode consumer jumped over offsets of a partition',
  'poll-backwards': 'an assign-mode consumer went back to an offset it had passed',
  'commit-backwards': 'a group\'s committed offset read lower than one already committed or read before',
  'group-gap': 'an offset below the group\'s final committed offset that no member of the group ever received',
  'replica-divergence': 'after healing, a replica whose bytes below the high watermark differ from another replica\'s',
  'replica-incomplete': 'after healing, a replica that does not hold every batch below the high watermark',
  'minority-write-accepted': 'an acks=all send acknowledged while the partition\'s ISR was its leader alone (min.insync.replicas = 2)',
  'minority-not-refused': 'an acks=all send to a partition whose ISR was its leader alone that failed with something else than NOT_ENOUGH_REPLICAS',
} as const;

export type AnomalyClass = keyof typeof ANOMALY_CLASSES;

export const ANOMALY_NAMES = Object.keys(ANOMALY_CLASSES) as AnomalyClass[];

const EXAMPLES_KEPT = 5;

export class Tally {
  readonly counts = Object.fromEntries(ANOMALY_NAMES.map((n) => [n, 0])) as Record<AnomalyClass, number>;
  readonly examples = Object.fromEntries(ANOMALY_NAMES.map((n) => [n, [] as string[]])) as Record<AnomalyClass, string[]>;

  add(kind: AnomalyClass, example: string, count = 1): void {
    this.counts[kind] += count;
    if (this.examples[kind].length < EXAMPLES_KEPT) this.examples[kind].push(example);
  }

  get total(): number {
    return Object.values(this.counts).reduce((s, n) => s + n, 0);
  }
}
