/** `--help` on every command, `help <command>`, and `--version`. No broker needed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_PATH, killAll, runCli } from './helpers/cli';

jest.setTimeout(60_000);

afterEach(() => killAll());

const COMMANDS: string[][] = [[], ['topics'], ['topics', 'create'], ['topics', 'list'], ['topics', 'describe'], ['topics', 'delete'], ['produce'], ['consume']];

describe('help', () => {
  it.each(COMMANDS.map((c) => [c.join(' ') || '(root)', c]))('strata %s --help prints usage and exits 0', async (_name, command) => {
    const r = await runCli([...command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Usage: ${['strata', ...command].join(' ')}`);
    expect(r.stdout).toContain('--brokers <urls>');
  });

  it('documents the exit codes in the root help', async () => {
    const r = await runCli(['--help']);
    for (const code of ['0  success', '1  the broker failed', '2  usage error', '3  cannot connect']) expect(r.stdout).toContain(code);
  });

  it('lists every option of produce and consume', async () => {
    const produce = await runCli(['produce', '--help']);
    for (const option of ['--key-separator', '--partition', '--header', '--acks']) expect(produce.stdout).toContain(option);
    const consume = await runCli(['consume', '--help']);
    for (const option of ['--from-beginning', '--from-end', '--offset', '--partition', '--follow', '--max-messages', '--key-separator']) {
      expect(consume.stdout).toContain(option);
    }
  });

  it.each([
    [['help', 'topics'], ['topics', '--help']],
    [['topics', 'help', 'create'], ['topics', 'create', '--help']],
    [['help', 'consume'], ['consume', '--help']],
  ])('`strata %j` prints the same help as `strata %j`', async (viaHelpArgs, viaOptionArgs) => {
    const viaHelp = await runCli(viaHelpArgs);
    const viaOption = await runCli(viaOptionArgs);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaOption.stdout);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('the built bin is executable on its own (shebang and mode), as npm links it', async () => {
    const { stdout } = await promisify(execFile)(CLI_PATH, ['--version'], { timeout: 20_000 });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
