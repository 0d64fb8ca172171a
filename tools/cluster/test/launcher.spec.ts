/**
 * `npm run cluster -- --brokers 3` as a user runs it: etcd and three brokers start, the CLI
 * describes a cluster of three with a controller, and Ctrl-C (SIGINT) stops everything — every
 * broker with a controlled shutdown, etcd last — and exits 0, leaving no process behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@strata/tools-kit';

const LAUNCHER = join(__dirname, '..', 'dist', 'main.js');
const CLI = join(__dirname, '..', '..', '..', 'apps', 'cli', 'dist', 'main.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('starts etcd and three brokers, answers the CLI, and stops everything on Ctrl-C', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-launcher-'));
  const basePort = await freePort();
  const etcdPort = await freePort();
  const child = spawn(process.execPath, [LAUNCHER, '--brokers', '3', '--data-dir', dir, '--base-port', String(basePort), '--etcd-port', String(etcdPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (out.includes('Ctrl-C stops everything')) {
          clearInterval(check);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(check);
        reject(new Error(`the launcher exited with ${code}:\n${out}`));
      });
    });
    const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    let described = '';
    for (let i = 0; i < 100 && !/controller: \d/.test(described); i++) {
      described = spawnSync(process.execPath, [CLI, '--brokers', `ws://127.0.0.1:${basePort}`, 'cluster', 'describe'], { encoding: 'utf8' }).stdout;
      if (!/controller: \d/.test(described)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(described).toMatch(/controller: [123] /);
    expect(described.split('\n').filter((l) => /^[123]\s+ws:\/\//.test(l))).toHaveLength(3);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
