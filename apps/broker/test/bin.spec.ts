/**
 * The built `strata-broker` binary as a user runs it (nx builds it before these tests).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

const BIN = join(__dirname, '..', 'dist', 'bin', 'strata-broker.js');

function waitForLine(child: ReturnType<typeof spawn>, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => pattern.test(l));
      if (line) {
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${buf}`)));
  });
}

describe('strata-broker binary', () => {
  it('exists (built by nx before the tests)', () => {
    expect(existsSync(BIN)).toBe(true);
  });

  it('exits 2 with a message naming the setting when a value is invalid', () => {
    const flag = spawnSync(process.execPath, [BIN, '--log.segment.bytes', 'lots'], { encoding: 'utf8' });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('log.segment.bytes');
    expect(flag.stderr).toContain('expected an integer from 1024');
    const env = spawnSync(process.execPath, [BIN], { encoding: 'utf8', env: { ...process.env, STRATA_DURABILITY: 'never' } });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/durability.*environment/);
  });

  it('exits 2 on a usage error: an unknown flag or an extra argument', () => {
    const unknown = spawnSync(process.execPath, [BIN, '--no-such-setting', '1'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--no-such-setting'");
    const extra = spawnSync(process.execPath, [BIN, 'serve'], { encoding: 'utf8' });
    expect(extra.status).toBe(2);
  });

  it('prints every setting in --help', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const key of ['--data.dir', '--durability', '--log.segment.bytes', '--auto.create.topics.enable']) expect(help.stdout).toContain(key);
  });

  it('serves clients, then on SIGTERM finishes, flushes and exits 0 with a clean-shutdown marker', async () => {
    const { dir, cleanup } = tempDir();
    const child = spawn(process.execPath, [BIN, '--data.dir', dir, '--port', '0', '--log.level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await waitForLine(child, /broker started/);
      const url = (JSON.parse(line) as { url: string }).url;
      const client = await WireClient.connect(url);
      await createTopic(client, 'bin-topic');
      expect(await produce(client, 'bin-topic', 0, [{ value: 'hello' }])).toBe(0);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await client.closed;
      expect(existsSync(join(dir, '.clean-shutdown'))).toBe(true);
      expect(existsSync(join(dir, '.lock'))).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      cleanup();
    }
  });

  it('logs JSON lines when stdout is not a terminal, and human-readable lines with --log.format pretty', async () => {
    const { dir, cleanup } = tempDir();
    const child = spawn(process.execPath, [BIN, '--data.dir', dir, '--port', '0', '--log.level', 'info', '--log.format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await waitForLine(child, /broker started/);
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}broker started url=ws:\/\/127\.0\.0\.1:\d+ dataDir=\S+ /);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      cleanup();
    }
  });
});
