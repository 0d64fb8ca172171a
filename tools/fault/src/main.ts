/**
 * `npm run fault -- --rounds 50 [--seed N] [--min-run-ms 100] [--max-run-ms 800]`: the long run
 * of the fault harness (npm test runs a short one). Prints each round and a summary; exits 1
 * when any anomaly was found.
 */
import { parseArgs } from 'node:util';
import { runFaultHarness } from './harness';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '50' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    'min-run-ms': { type: 'string', default: '100' },
    'max-run-ms': { type: 'string', default: '800' },
    json: { type: 'boolean', default: false },
    'stop-on-anomaly': { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const started = Date.now();
  const seed = Number(values.seed);
  process.stderr.write(`fault harness: ${values.rounds} rounds, seed ${seed}\n`);
  const report = await runFaultHarness({
    rounds: Number(values.rounds),
    seed,
    minRunMs: Number(values['min-run-ms']),
    maxRunMs: Number(values['max-run-ms']),
    log: (line) => process.stderr.write(line + '\n'),
    stopOnAnomaly: values['stop-on-anomaly'],
  });
  const summary = { ...report, seed, seconds: Math.round((Date.now() - started) / 1000) };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(
      [
        `rounds: ${report.rounds}, kills: ${report.kills}, seed: ${seed}, ${summary.seconds} s`,
        `records acknowledged: ${report.recordsAcknowledged}, records checked: ${report.recordsChecked}`,
        `expired by retention: ${report.recordsExpiredByRetention}, compacted away (last check): ${report.recordsCompactedAway}`,
        `recoveries that truncated a torn tail: ${report.recoveriesWithTruncation}, interrupted cleans resolved: ${report.interruptedCleansResolved}`,
        `anomalies: ${report.anomalies.length}`,
        ...report.anomalies.map((a) => `  - ${a}`),
      ].join('\n') + '\n',
    );
  }
  process.exit(report.anomalies.length === 0 ? 0 : 1);
}

main().catch((e: unknown) => {
  process.stderr.write(`fault harness failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
