/**
 * A short run of the fault harness (the long run: `npm run fault -- --rounds 50`): the broker
 * binary is killed with SIGKILL at random moments under durable produce, fetch, retention and
 * compaction; after every restart no acknowledged record may be lost or changed, no offset
 * reused, no corrupt record returned, and the compacted topic must hold every key's latest
 * acknowledged value.
 */
import { runFaultHarness } from '../src/harness';

describe('fault harness (short run)', () => {
  it('finds no anomaly in 8 rounds of kill -9 under load', async () => {
    const report = await runFaultHarness({ rounds: 8, seed: 20261121, minRunMs: 150, maxRunMs: 600 });
    expect(report.anomalies).toEqual([]);
    expect(report.rounds).toBe(8);
    expect(report.kills).toBe(8);
    expect(report.recordsAcknowledged).toBeGreaterThan(100);
    expect(report.recordsChecked).toBeGreaterThan(100);
  });
});
