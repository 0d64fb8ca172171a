/**
 * The final state of a run, written by the harness beside the history (`final.json`) once the
 * cluster healed and the workload stopped, and read by the checker: what it needs besides the
 * history to judge the run — each partition's replicas and high watermark, and where each broker's
 * data folder is (relative to the file, so a saved run can be moved and checked again).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface FinalState {
  topic: string;
  partitions: number;
  groupId: string | null;
  brokers: number[];
  /** Partition -> broker ids holding a replica. */
  replicas: Record<string, number[]>;
  /** Partition -> high watermark after healing (null when it could not be read). */
  highWatermarks: Record<string, number | null>;
  /** Broker id -> its data folder, relative to final.json's folder. */
  dataDirs: Record<string, string>;
  /** Every partition had a leader and a full ISR before the final read. */
  healed: boolean;
}

export function writeFinalState(path: string, state: FinalState): void {
  writeFileSync(path, JSON.stringify(state, null, 2) + '\n');
}

export function readFinalState(path: string): FinalState {
  return JSON.parse(readFileSync(path, 'utf8')) as FinalState; // written by writeFinalState
}
