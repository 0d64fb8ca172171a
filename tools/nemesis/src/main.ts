/**
 * `npm run nemesis -- [options]`: the long runs of the fault harness, and the failover figures.
 *
 *   --minutes N          run the nemesis for N minutes (default 30)
 *   --faults N           or stop after N faults
 *   --brokers N          3 (default) or 5
 *   --seed N             the fault schedule's seed (default: from the clock; printed)
 *   --dir PATH           the run folder (default: a new temporary folder, kept)
 *   --rate N             records per second per producer (default 40)
 *   --kills N, --rounds N    after the run, the failover figures on a fresh cluster: leader SIGKILL ->
 *                        first acks=all produce (N kills, default 20), controlled shutdown and
 *                        controller SIGKILL (N rounds each, default 10)
 *   --skip-failover      no failover figures
 *   --measure-failover   only the failover figures, no nemesis run
 *   --session-timeout-ms N   broker.session.timeout.ms for the failover figures (default 3000)
 *   --json               print the verdict (or the figures) as JSON
 * Exits 1 when the checker found an anomaly. Unknown options are refused by name.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatVerdict } from './checker/checker';
import { formatFailover, measureFailover } from './failover';
import { runNemesis } from './run';

function integer(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    strict: true,
    options: {
      minutes: { type: 'string' },
      faults: { type: 'string' },
      brokers: { type: 'string' },
      seed: { type: 'string' },
      dir: { type: 'string' },
      rate: { type: 'string' },
      'measure-failover': { type: 'boolean', default: false },
      'skip-failover': { type: 'boolean', default: false },
      kills: { type: 'string' },
      rounds: { type: 'string' },
      'session-timeout-ms': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const brokers = integer('brokers', values.brokers, 3, 3);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'strata-nemesis-'));
  const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const failover = async () => {
    const figures = await measureFailover({
      dir: join(dir, 'failover'),
      brokers,
      kills: integer('kills', values.kills, 20),
      rounds: integer('rounds', values.rounds, 10),
      sessionTimeoutMs: integer('session-timeout-ms', values['session-timeout-ms'], 3000, 2000),
      log,
    });
    process.stdout.write((values.json ? JSON.stringify(figures, null, 2) : formatFailover(figures)) + '\n');
  };
  if (values['measure-failover']) {
    await failover();
    return 0;
  }
  const seed = integer('seed', values.seed, Date.now() % 1_000_000_000, 0);
  const minutes = values.faults !== undefined && values.minutes === undefined ? undefined : integer('minutes', values.minutes, 30);
  log(`nemesis: ${brokers} brokers, ${minutes !== undefined ? `${minutes} min` : `${values.faults} faults`}, seed ${seed}, run folder ${dir}`);
  const result = await runNemesis({
    dir: join(dir, 'run'),
    brokers,
    seed,
    ...(minutes !== undefined ? { durationMs: minutes * 60_000 } : {}),
    ...(values.faults !== undefined ? { faults: integer('faults', values.faults, 10) } : {}),
    rate: integer('rate', values.rate, 40),
    log,
  });
  if (values.json) process.stdout.write(JSON.stringify({ ...result, seed }, null, 2) + '\n');
  else {
    process.stdout.write(`run folder: ${result.dir} (seed ${seed}, ${Math.round(result.seconds)} s)\n`);
    process.stdout.write(formatVerdict(result.verdict) + '\n');
    if (result.unhealed > 0) process.stdout.write(`faults after which the cluster was not healthy within the wait: ${result.unhealed}\n`);
    for (const p of result.clientProblems) process.stdout.write(`client problem: ${p}\n`);
    process.stdout.write(`check it again: node tools/nemesis/dist/check.js ${result.historyPath}\n`);
  }
  if (!values['skip-failover']) {
    log('failover figures (a fresh cluster, no proxies)');
    await failover();
  }
  return result.verdict.valid ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`nemesis failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
