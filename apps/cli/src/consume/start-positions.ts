/**
 * Where `strata consume` starts and stops in each partition, from the options and the partition
 * offsets observed at start (log start offset and high watermark), kcat-style: an absolute offset,
 * `beginning`, `end`, `-N` (N records before the end) or `@<time>` (the first record at or after a
 * time, looked up beforehand by the caller: `timestampOffsets`). Pure: no I/O.
 */
import { ERRORS, StrataError } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';

/** A start position of `--offset`. */
export type StartPosition =
  | { kind: 'offset'; offset: number }
  | { kind: 'beginning' }
  | { kind: 'end' }
  /** `count` records before the end (never before the log start). */
  | { kind: 'from-end'; count: number }
  /** The first record at or after `timestamp` (ms since the epoch); the end when there is none. */
  | { kind: 'timestamp'; timestamp: number };

/** `--offset POS` (every selected partition) or `--offset P:POS` (partition P). */
export interface OffsetSpec {
  partition: number | null;
  position: StartPosition;
}

export interface StartOptions {
  topic: string;
  fromBeginning: boolean;
  offsets: readonly OffsetSpec[];
  /** Partitions asked for with --partition; empty: all (or those named by P:N offsets). */
  partitions: readonly number[];
  /** Per timestamp, per partition: the offset ListOffsets found (see timestampsOf). */
  timestampOffsets?: ReadonlyMap<number, ReadonlyMap<number, number>>;
}

/** The timestamps `specs` start at (to be looked up before planRanges). */
export function timestampsOf(specs: readonly OffsetSpec[]): number[] {
  return [...new Set(specs.flatMap((s) => (s.position.kind === 'timestamp' ? [s.position.timestamp] : [])))];
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
  const specific = new Map<number, StartPosition>();
  let all: StartPosition | null = null;
  for (const spec of options.offsets) {
    if (spec.partition === null) all = spec.position;
    else if (specific.has(spec.partition)) throw new CliUsageError(`--offset names partition ${spec.partition} twice`);
    else specific.set(spec.partition, spec.position);
  }

  let selected: number[];
  if (options.partitions.length > 0) {
    selected = [...new Set(options.partitions)];
    for (const p of specific.keys()) {
      if (!selected.includes(p)) throw new CliUsageError(`--offset ${p}:${describe(specific.get(p)!)} names partition ${p}, which --partition does not select`);
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
    const position = specific.get(partition) ?? all;
    if (position === null) return { partition, start: options.fromBeginning ? o.low : o.high, end: o.high };
    if (position.kind !== 'offset') return { partition, start: resolve(position, o, options), end: o.high };
    const offset = position.offset;
    if (offset < o.low || offset > o.high) {
      throw new StrataError(
        ERRORS.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is out of range for partition ${partition} of "${options.topic}": it holds offsets ${o.low} to ${o.high} (the end)`,
      );
    }
    return { partition, start: offset, end: o.high };
  });
}

function resolve(position: Exclude<StartPosition, { kind: 'offset' }>, o: ObservedOffsets, options: StartOptions): number {
  switch (position.kind) {
    case 'beginning':
      return o.low;
    case 'end':
      return o.high;
    case 'from-end':
      return Math.max(o.low, o.high - position.count);
    case 'timestamp': {
      const found = options.timestampOffsets?.get(position.timestamp)?.get(o.partition);
      if (found === undefined) throw new Error(`the offset of partition ${o.partition} at ${position.timestamp} was not looked up`);
      return Math.min(Math.max(found, o.low), o.high);
    }
  }
}

function describe(p: StartPosition): string {
  switch (p.kind) {
    case 'offset':
      return String(p.offset);
    case 'from-end':
      return `-${p.count}`;
    case 'timestamp':
      return `@${p.timestamp}`;
    default:
      return p.kind;
  }
}

function describePartitions(observed: readonly ObservedOffsets[]): string {
  if (observed.length === 0) return 'no partitions';
  if (observed.length === 1) return 'partition 0';
  return `partitions 0 to ${observed.length - 1}`;
}
