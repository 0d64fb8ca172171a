/** `strata users` and `strata acls` against a real broker, and the CLI authenticating with SCRAM. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';
import { killAll, runCli } from './helpers/cli';
import { lines } from './helpers/broker';

jest.setTimeout(60_000);

let dataDir: string;
let broker: RunningBroker;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-sec-'));
  broker = await startBroker({ dataDir, port: 0 });
});

afterEach(() => killAll());

afterAll(async () => {
  await broker.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('strata users and strata acls', () => {
  it('create, list, set the password of and delete users; the password comes from stdin', async () => {
    const created = await runCli(['--brokers', broker.url, 'users', 'create', 'alice'], { input: 'alice-secret\n' });
    expect(created).toMatchObject({ code: 0, stdout: 'user alice created\n' });
    expect((await runCli(['--brokers', broker.url, 'users', 'create', 'bob', '--mechanism', 'scram-sha-512'], { input: 'bob-secret\n' })).code).toBe(0);
    expect((await runCli(['--brokers', broker.url, 'users', 'set-password', 'bob'], { input: 'bob-new\n' })).code).toBe(0);
    const list = await runCli(['--brokers', broker.url, 'users', 'list']);
    expect(lines(list.stdout)).toEqual([
      expect.stringMatching(/^USER\s+MECHANISMS$/),
      expect.stringMatching(/^alice\s+SCRAM-SHA-256 \(8192\), SCRAM-SHA-512 \(8192\)$/),
      expect.stringMatching(/^bob\s+SCRAM-SHA-512 \(8192\), SCRAM-SHA-256 \(8192\)$/),
    ]);
    const noPassword = await runCli(['--brokers', broker.url, 'users', 'create', 'carol']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('no password on standard input');
    expect(await runCli(['--brokers', broker.url, 'users', 'delete', 'bob'])).toMatchObject({ code: 0, stdout: 'user bob deleted\n' });
    const missing = await runCli(['--brokers', broker.url, 'users', 'delete', 'bob']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('RESOURCE_NOT_FOUND');
  });

  it('add, list and remove ACLs', async () => {
    const add = await runCli(['--brokers', broker.url, 'acls', 'add', '--principal', 'User:alice', '--topic', 'orders-', '--prefixed', '--operation', 'read']);
    expect(add).toMatchObject({ code: 0, stdout: 'added: ALLOW User:alice READ on TOPIC orders-* from *\n' });
    expect((await runCli(['--brokers', broker.url, 'acls', 'add', '--principal', 'User:alice', '--group', 'billing', '--operation', 'read', '--deny'])).code).toBe(0);
    const list = await runCli(['--brokers', broker.url, '--json', 'acls', 'list', '--principal', 'User:alice']);
    expect(JSON.parse(list.stdout)).toHaveLength(2);
    const bad = await runCli(['--brokers', broker.url, 'acls', 'add', '--principal', 'alice', '--topic', 'x', '--operation', 'read']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('User:<name>');
    const removed = await runCli(['--brokers', broker.url, 'acls', 'remove', '--group', 'billing']);
    expect(removed.stdout).toContain('removed 1 entry');
  });

  it('authenticates with --sasl-mechanism, --username and STRATA_PASSWORD', async () => {
    // Reopen the same folder (alice was created above) with SCRAM required.
    await broker.close();
    broker = await startBroker({ dataDir, port: 0, config: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-256' } });
    {
      const args = ['--brokers', broker.url, '--sasl-mechanism', 'scram-sha-256', '--username', 'alice', 'topics', 'list'];
      expect(await runCli(args, { env: { STRATA_PASSWORD: 'alice-secret' } })).toMatchObject({ code: 0 });
      const wrong = await runCli(args, { env: { STRATA_PASSWORD: 'wrong' } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('SASL_AUTHENTICATION_FAILED');
      const unauthenticated = await runCli(['--brokers', broker.url, 'topics', 'list']);
      expect(unauthenticated.stderr).toContain('pass the sasl option');
      const noPassword = await runCli(args);
      expect(noPassword.code).toBe(2);
      expect(noPassword.stderr).toContain('STRATA_PASSWORD');
    }
  });
});
