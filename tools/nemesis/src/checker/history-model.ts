/**
 * The history as the checker reads it: invocations paired with their completions (by process,
 * function and the value's identity — a producer has several sends in flight, the final reader
 * one read per partition), sorted into what each check needs. An invocation without completion
 * (the process died or the run ended first) is 'pending': as indeterminate as an info.
 */
import type { Op, OffsetsValue, PollValue, ProbeValue, SendValue } from '../history';
import { FAULT_KINDS } from '../nemesis/faults';

export type Outcome = 'ok' | 'fail' | 'info' | 'pending';

export interface Completed<V> {
  process: string;
  invokeT: number;
  /** Completion time (Infinity while pending). */
  completeT: number;
  outcome: Outcome;
  /** The completion's value when it has one, else the invocation's. */
  value: V;
  error?: string;
}

export interface HistoryModel {
  /** Sends by value. */
  sends: Map<string, Completed<SendValue>>;
  probes: Array<Completed<ProbeValue & { v: string }>>;
  /** ok polls, in history order: assign consumers (no member) and group members. */
  polls: Array<Completed<PollValue>>;
  /** The final read, by partition (complete = ok). */
  finalReads: Map<number, Completed<PollValue>>;
  commits: Array<Completed<OffsetsValue>>;
  /** Reads of the group's committed offsets ('committed' and 'final-committed'), ok ones. */
  committedReads: Array<Completed<OffsetsValue> & { final: boolean }>;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  ops: number;
}

function identity(op: Op): string {
  const v = op.value as { v?: unknown; p?: unknown } | undefined;
  if (op.f === 'send' || op.f === 'probe') return String(v?.v);
  if (op.f === 'read') return String(v?.p);
  return '';
}

export function buildModel(ops: readonly Op[]): HistoryModel {
  const model: HistoryModel = { sends: new Map(), probes: [], polls: [], finalReads: new Map(), commits: [], committedReads: [], faults: {}, ops: ops.length };
  const open = new Map<string, Array<{ invoke: Op; done: Op | null }>>();
  const pairs: Array<{ invoke: Op; done: Op | null }> = [];
  for (const op of ops) {
    const key = `${op.process}\u0000${op.f}\u0000${identity(op)}`;
    if (op.type === 'invoke') {
      const pair = { invoke: op, done: null as Op | null };
      pairs.push(pair);
      const q = open.get(key) ?? [];
      q.push(pair);
      open.set(key, q);
      if (op.process === 'nemesis' && (FAULT_KINDS as readonly string[]).includes(op.f)) model.faults[op.f] = (model.faults[op.f] ?? 0) + 1;
      continue;
    }
    const pair = open.get(key)?.shift();
    if (pair) pair.done = op; // (a completion without invocation is not written by our workloads)
  }
  for (const { invoke, done } of pairs) {
    const c: Completed<unknown> = {
      process: invoke.process,
      invokeT: invoke.t,
      completeT: done?.t ?? Infinity,
      outcome: done ? (done.type as Outcome) : 'pending',
      value: done?.value ?? invoke.value,
      ...(done?.error ? { error: done.error } : {}),
    };
    switch (invoke.f) {
      case 'send':
        model.sends.set((invoke.value as SendValue).v, c as Completed<SendValue>);
        break;
      case 'probe':
        model.probes.push(c as Completed<ProbeValue & { v: string }>);
        break;
      case 'poll':
        if (c.outcome === 'ok' && c.value) model.polls.push(c as Completed<PollValue>);
        break;
      case 'read':
        if (c.value && (c.outcome === 'ok' || c.outcome === 'info')) model.finalReads.set((c.value as PollValue).p, c as Completed<PollValue>);
        break;
      case 'commit':
        model.commits.push(c as Completed<OffsetsValue>);
        break;
      case 'committed':
      case 'final-committed':
        if (c.outcome === 'ok') model.committedReads.push({ ...(c as Completed<OffsetsValue>), final: invoke.f === 'final-committed' });
        break;
      default:
    }
  }
  model.polls.sort((a, b) => a.completeT - b.completeT);
  return model;
}
