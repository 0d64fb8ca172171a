/**
 * The README's first command is `npm ci && npm start`. CI runs `npm ci` itself; this test runs the
 * `npm start` half as a user would, from the repository root, with two environment overrides so it
 * never takes the real port or ./data: STRATA_PORT=0 and STRATA_DATA_DIR=<temp>. nx has built
 * everything before this project's tests (dependsOn ^build), so its build step is a cache hit.
 * The test waits for "broker started" (and an answer on /healthz), sends SIGTERM to the process group it spawned (as Ctrl-C in
 * a terminal would), and expects a clean shutdown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Child, killAll } from './harness/processes';
import { assertBrokerStopped, waitForBroker } from './harness/sh-runner';

const REPO_ROOT = resolve(__dirname, '..', '..');

let dataDir: string | undefined;

afterAll(async () => {
  await killAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('`npm start` builds and starts a broker that stops cleanly on SIGTERM', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-docs-npm-start-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(STRATA_|npm_|NX_|INIT_CWD$)/i.test(k)) env[k] = v;
  const child = new Child('npm', ['start'], {
    cwd: REPO_ROOT,
    env: { ...env, STRATA_PORT: '0', STRATA_DATA_DIR: dataDir, NX_DAEMON: 'false', npm_config_update_notifier: 'false' },
  });
  await waitForBroker(child, 240_000, 'npm start');
  expect(child.stdout).toContain(`"dataDir":"${dataDir}"`);
  child.signalGroup('SIGTERM');
  const r = await child.wait(30_000, 'npm start after SIGTERM');
  assertBrokerStopped('npm start', 'npm', r);
}, 300_000);
