/**
 * The short run of the fault harness, in `npm test`: etcd and three broker processes behind
 * fault-injecting proxies, the queue and group workloads in their own processes, and one fault of
 * each family (SIGKILL of a leader or the controller, SIGSTOP past the lease, partitions between
 * brokers, between clients and brokers and between a broker and etcd, a broker cut from
 * everything, etcd SIGKILL, controlled shutdown, two replicas of a partition SIGKILLed). The
 * checker must find zero anomalies of every class, on a run that actually exercised it: records
 * acknowledged and read back, replicas compared byte for byte, the refused acks=all probe.
 * Outcomes only: nothing here asserts how long anything took.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANOMALY_NAMES, formatVerdict, runNemesis, type FaultKind, type RunResult } from '../src';

const SCHEDULE: FaultKind[] = ['kill', 'partition-brokers', 'pause', 'minority', 'partition-clients', 'etcd-kill', 'partition-etcd', 'controlled-shutdown', 'kill', 'partition-node'];

describe('nemesis short run (etcd + 3 broker processes, 10 faults)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-nemesis-test-'));
  let result: RunResult;

  beforeAll(async () => {
    const lines: string[] = [];
    try {
      result = await runNemesis({
        dir,
        brokers: 3,
        seed: 20240611,
        schedule: SCHEDULE,
        // Short faults: pauses still outlast the 3 s lease, so a paused leader wakes up deposed.
        timing: { pauseMinMs: 3500, pauseMaxMs: 4500, partitionMaxMs: 3500, downMaxMs: 1000 },
        gapMs: [200, 500],
        healthTimeoutMs: 20_000,
        rate: 25,
        groupConsumers: 2,
        log: (line) => lines.push(line),
      });
    } catch (e) {
      throw new Error(`the run failed (${dir}):\n${lines.join('\n')}\n${(e as Error).stack}`);
    }
    process.stderr.write(`nemesis short run (${dir}):\n${lines.join('\n')}\n${formatVerdict(result.verdict)}\n`);
  });

  afterAll(() => {
    // Kept when the checker found something, to look at and check again.
    if (result?.verdict.valid) rmSync(dir, { recursive: true, force: true });
  });

  it('injected every scheduled fault', () => {
    expect(result.verdict.faults).toEqual(SCHEDULE.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {}));
  });

  it('finds zero anomalies of every class', () => {
    const found = ANOMALY_NAMES.filter((k) => result.verdict.anomalies[k] > 0).map((k) => `${k}: ${result.verdict.anomalies[k]} (${result.verdict.examples[k].join('; ')})`);
    expect(found).toEqual([]);
    expect(result.verdict.valid).toBe(true);
  });

  it('exercised the checker: acknowledged records read back in full, polled, committed, replicas compared', () => {
    const s = result.verdict.stats;
    expect(s.sendsAcknowledged).toBeGreaterThan(0);
    expect(s.finalReadComplete).toBe(true);
    expect(s.recordsFinalRead).toBeGreaterThanOrEqual(s.sendsAcknowledged);
    expect(s.recordsPolled).toBeGreaterThan(0);
    expect(s.commitsAcknowledged).toBeGreaterThan(0);
    expect(s.committedReads).toBeGreaterThan(0);
    expect(s.replicas?.partitionsCompared).toBe(4);
    expect(s.replicas?.replicasRead).toBe(12);
    expect(s.replicas?.bytesCompared).toBeGreaterThan(0);
    expect(result.clientProblems).toEqual([]);
  });

  it('refuses acks=all with NOT_ENOUGH_REPLICAS while 2 of 3 replicas are down', () => {
    // The probe ran (the ISR shrank to the leader alone) and was refused: any other outcome is an anomaly above.
    expect(result.verdict.stats.probes).toBeGreaterThanOrEqual(1);
  });
});
