/**
 * Where `strata consume` starts and stops in each partition, from the options and the partition
 * offsets observed at start (log start offset and high watermark). Pure: no I/O.
 */
import { ERRORS, StrataError } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';

/** `--offset N` (every selected partition) or `--offset P:N` (partition P). */
export interface OffsetSpec {
  partition: number | null;
  offset: number;
}

export interface StartOptions {
  topic: string;
  fromBeginning: boolean;
  offsets: readonly OffsetSpec[];
  /** Partitions asked for with --partition; empty: all (or those named by P:N offsets). */
  partitions: readonly number[];
}

/** Offsets of one partition as the broker reported them at start. */
export interface ObservedOffsets {
  partition: number;
  /** Log start offset. */
  low: number;
  /** High watermark. */
  high: number;
}

export interface PartitionRange {
  partition: number;
  /** First offset to read. */
  start: number;
  /** The high watermark observed at start: without --follow, reading stops before it. */
  end: number;
}

/**
 * One range per selected partition, in partition order.
 * Throws CliUsageError for contradictory options, and UNKNOWN_TOPIC_OR_PARTITION or
 * OFFSET_OUT_OF_RANGE (StrataError, exit code 1) when the topic does not have what was asked.
 */
export function planRanges(options: StartOptions, observed: readonly ObservedOffsets[]): PartitionRange[] {
  const byPartition = new Map(observed.map((o) => [o.partition, o]));
  const specific = new Map<number, number>();
  let all: number | null = null;
  for (const spec of options.offsets) {
    if (spec.partition === null) all = spec.offset;
    else if (specific.has(spec.partition)) throw new CliUsageError(`--offset names partition ${spec.partition} twice`);
    else specific.set(spec.partition, spec.offset);
  }

  let selected: number[];
  if (options.partitions.length > 0) {
    selected = [...new Set(options.partitions)];
    for (const p of specific.keys()) {
      if (!selected.includes(p)) throw new CliUsageError(`--offset ${p}:${specific.get(p)} names partition ${p}, which --partition does not select`);
    }
  } else if (specific.size > 0 && all === null) {
    selected = [...specific.keys()];
  } else {
    selected = observed.map((o) => o.partition);
  }
  selected.sort((a, b) => a - b);

  return selected.map((partition) => {
    const o = byPartition.get(partition);
    if (!o) {
      throw new StrataError(ERRORS.UNKNOWN_TOPIC_OR_PARTITION, `topic "${options.topic}" has no partition ${partition} (it has ${describePartitions(observed)})`);
    }
    const offset = specific.get(partition) ?? all;
    if (offset === null) return { partition, start: options.fromBeginning ? o.low : o.high, end: o.high };
    if (offset < o.low || offset > o.high) {
      throw new StrataError(
        ERRORS.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is out of range for partition ${partition} of "${options.topic}": it holds offsets ${o.low} to ${o.high} (the end)`,
      );
    }
    return { partition, start: offset, end: o.high };
  });
}

function describePartitions(observed: readonly ObservedOffsets[]): string {
  if (observed.length === 0) return 'no partitions';
  if (observed.length === 1) return 'partition 0';
  return `partitions 0 to ${observed.length - 1}`;
}
