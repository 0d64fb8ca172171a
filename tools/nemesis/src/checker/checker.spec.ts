/**
 * The checker on hand-written histories: a clean history is valid, and each anomaly class the
 * queue and group checks name is found (and counted) when the history holds one. No cluster:
 * the checker works on operations only (replica checks need data folders; the short run covers them).
 */
import type { Op } from '../history';
import { checkModel } from './checker';
import { buildModel } from './history-model';
import type { AnomalyClass } from './anomalies';

let t = 0;
// 10 ms apart: farther than the checker's clock margin between processes.
const op = (process: string, type: Op['type'], f: string, value?: unknown, error?: string): Op => ({ t: (t += 10), process, type, f, ...(value !== undefined ? { value } : {}), ...(error ? { error } : {}) });

/** An acknowledged send of `v` at p:o. */
const sent = (v: string, p: number, o: number): Op[] => [op(v.replace(/-\d+$/, ''), 'invoke', 'send', { v, p }), op(v.replace(/-\d+$/, ''), 'ok', 'send', { v, p, o })];
/** The final read of partition p holding `records`, up to `hw`. */
const finalRead = (p: number, hw: number, records: Array<[number, string]>, type: 'ok' | 'info' = 'ok'): Op[] => [op('final-reader', 'invoke', 'read', { p }), op('final-reader', type, 'read', { p, hw, records }, type === 'info' ? 'deadline' : undefined)];
const poll = (process: string, p: number, records: Array<[number, string]>, member?: string): Op[] => [op(process, 'invoke', 'poll'), op(process, 'ok', 'poll', { p, hw: 99, records, ...(member ? { member } : {}) })];
const committed = (process: string, offsets: Record<string, number>, f = 'committed'): Op[] => [op(process, 'invoke', f), op(process, 'ok', f, offsets)];

function anomalies(ops: Op[]): Partial<Record<AnomalyClass, number>> {
  const v = checkModel(buildModel(ops), null, '.');
  return Object.fromEntries(Object.entries(v.anomalies).filter(([, n]) => n > 0));
}

const clean: Op[] = [
  ...sent('producer-1-0', 0, 0),
  ...sent('producer-1-1', 0, 1),
  ...sent('producer-2-0', 0, 2),
  ...poll('assign-1', 0, [[0, 'producer-1-0'], [1, 'producer-1-1']]),
  ...poll('assign-1', 0, [[2, 'producer-2-0']]),
  ...poll('group-1', 0, [[0, 'producer-1-0'], [1, 'producer-1-1']], 'm1@1'),
  op('group-1', 'invoke', 'commit', { 0: 2 }),
  op('group-1', 'ok', 'commit', { 0: 2 }),
  ...committed('offsets-monitor', { 0: 2 }),
  ...finalRead(0, 3, [[0, 'producer-1-0'], [1, 'producer-1-1'], [2, 'producer-2-0']]),
  ...committed('final-reader', { 0: 2 }, 'final-committed'),
];

describe('checker', () => {
  it('finds nothing in a clean history', () => {
    expect(anomalies(clean)).toEqual({});
    const v = checkModel(buildModel(clean), null, '.');
    expect(v.stats).toMatchObject({ sendsAcknowledged: 3, recordsFinalRead: 3, finalReadComplete: true, commitsAcknowledged: 1 });
  });

  it('lost-write: acknowledged, and the final read went past its offset without it', () => {
    expect(anomalies([...sent('producer-1-0', 0, 0), ...sent('producer-1-1', 0, 1), ...finalRead(0, 2, [[1, 'producer-1-1']])])).toEqual({ 'lost-write': 1 });
  });

  it('unseen-write: acknowledged past where an incomplete final read stopped', () => {
    expect(anomalies([...sent('producer-1-0', 0, 0), ...sent('producer-1-1', 0, 1), ...finalRead(0, 2, [[0, 'producer-1-0']], 'info')])).toEqual({ 'unseen-write': 1 });
  });

  it('inconsistent-offset: one offset acknowledged with one value and read with another', () => {
    expect(anomalies([...sent('producer-1-0', 0, 0), ...sent('producer-2-0', 0, 0), ...finalRead(0, 2, [[0, 'producer-1-0'], [1, 'producer-2-0']])])).toEqual({ 'inconsistent-offset': 1 });
  });

  it('duplicate, out-of-order and phantom-read in the final read', () => {
    const ops = [...sent('producer-1-0', 0, 0), ...sent('producer-1-1', 0, 1), ...finalRead(0, 4, [[0, 'producer-1-1'], [1, 'producer-1-0'], [2, 'producer-1-0'], [3, 'nobody-7']])];
    expect(anomalies(ops)).toEqual({ duplicate: 1, 'out-of-order': 2, 'phantom-read': 1, 'inconsistent-offset': 2 });
  });

  it('dirty-read: a consumer read a record the final read does not hold', () => {
    const ops = [op('producer-1', 'invoke', 'send', { v: 'producer-1-0', p: 0 }), op('producer-1', 'info', 'send', { v: 'producer-1-0', p: 0 }, 'timeout'), ...sent('producer-1-1', 0, 0), ...poll('assign-1', 0, [[0, 'producer-1-0']]), ...finalRead(0, 1, [[0, 'producer-1-1']])];
    expect(anomalies(ops)).toEqual({ 'dirty-read': 1, 'inconsistent-offset': 1 });
  });

  it('poll-skip and poll-backwards in assign mode', () => {
    const base = [...sent('producer-1-0', 0, 0), ...sent('producer-1-1', 0, 1), ...sent('producer-1-2', 0, 2), ...finalRead(0, 3, [[0, 'producer-1-0'], [1, 'producer-1-1'], [2, 'producer-1-2']])];
    expect(anomalies([...base, ...poll('assign-1', 0, [[0, 'producer-1-0']]), ...poll('assign-1', 0, [[2, 'producer-1-2']])])).toEqual({ 'poll-skip': 1 });
    expect(anomalies([...base, ...poll('assign-1', 0, [[0, 'producer-1-0'], [1, 'producer-1-1']]), ...poll('assign-1', 0, [[1, 'producer-1-1']])])).toEqual({ 'poll-backwards': 1 });
  });

  it('commit-backwards: a read returns less than a commit acknowledged before it', () => {
    const ops = [op('group-1', 'invoke', 'commit', { 0: 5 }), op('group-1', 'ok', 'commit', { 0: 5 }), ...committed('offsets-monitor', { 0: 3 })];
    expect(anomalies(ops)).toEqual({ 'commit-backwards': 1 });
  });

  it('group-gap: offsets below the final committed offset never handed to a member', () => {
    const ops = [...sent('producer-1-0', 0, 0), ...sent('producer-1-1', 0, 1), ...poll('group-1', 0, [[1, 'producer-1-1']], 'm@1'), ...finalRead(0, 2, [[0, 'producer-1-0'], [1, 'producer-1-1']]), ...committed('final-reader', { 0: 2 }, 'final-committed')];
    expect(anomalies(ops)).toEqual({ 'group-gap': 1 });
  });

  it('minority probes: acknowledged, or refused with anything but NOT_ENOUGH_REPLICAS at the bottom of the error', () => {
    const probe = (type: 'ok' | 'info', extra: Record<string, unknown>): Op[] => {
      const v = `producer-1-probe-${t}`;
      return [op('producer-1', 'invoke', 'probe', { p: 0, isr: [1], v }), op('producer-1', type, 'probe', { p: 0, isr: [1], v, ...extra }, type === 'info' ? 'refused' : undefined)];
    };
    expect(anomalies(probe('info', { code: 'DELIVERY_TIMEOUT', cause: 'NOT_ENOUGH_REPLICAS' }))).toEqual({});
    expect(anomalies(probe('info', { code: 'NOT_ENOUGH_REPLICAS' }))).toEqual({});
    expect(anomalies(probe('info', { code: 'DELIVERY_TIMEOUT', cause: 'REQUEST_TIMED_OUT' }))).toEqual({ 'minority-not-refused': 1 });
    expect(anomalies(probe('ok', {}))).toEqual({ 'minority-write-accepted': 1 });
  });
});
