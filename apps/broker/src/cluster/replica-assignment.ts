/**
 * Replica assignment for new topics (the controller's): leaders spread evenly over the brokers,
 * each partition's replicas on distinct brokers, and on distinct racks first when brokers carry
 * `broker.rack`.
 *
 * Brokers are ordered so that racks alternate (a1, b1, c1, a2, b2, ...); partition p of a topic
 * takes RF consecutive brokers of that order starting at (start + p), so consecutive replicas sit
 * on different racks while there are racks left, and leaders (the first replica) rotate over all
 * brokers. `start` varies per topic so that many small topics do not all lead on the same broker.
 * Pure function.
 */
import { ERRORS, StrataError } from '@strata/protocol';

export interface AssignableBroker {
  id: number;
  rack: string;
}

/** Brokers ordered so that racks alternate; brokers without a rack form a rack of their own. */
export function rackAlternated(brokers: readonly AssignableBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const list = byRack.get(b.rack) ?? [];
    list.push(b.id);
    byRack.set(b.rack, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const rack of racks) {
      const id = byRack.get(rack)![i];
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}

export function assignReplicas(brokers: readonly AssignableBroker[], partitions: number, replicationFactor: number, start: number): number[][] {
  if (replicationFactor > brokers.length) {
    throw new StrataError(
      ERRORS.INVALID_REPLICATION_FACTOR,
      `replication factor ${replicationFactor} is larger than the number of brokers alive (${brokers.length})`,
    );
  }
  const order = rackAlternated(brokers);
  const n = order.length;
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const replicas: number[] = [];
    for (let r = 0; r < replicationFactor; r++) replicas.push(order[(start + p + r) % n]!);
    out.push(replicas);
  }
  return out;
}
