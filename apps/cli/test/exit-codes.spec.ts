/**
 * Exit codes scripts rely on: 0 success, 1 broker error, 2 usage error, 3 no broker. Errors are
 * one line on stderr, never a stack trace (unless STRATA_DEBUG=1).
 */
import { createServer } from 'node:net';
import { killAll, runCli } from './helpers/cli';
import { lines, startTestBroker, type TestBroker } from './helpers/broker';

jest.setTimeout(60_000);

let tb: TestBroker;
const cli = (...args: string[]) => runCli(['--brokers', tb.url, ...args]);

/** A local port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

const STACK_LINE = /^\s+at /m;

beforeAll(async () => {
  tb = await startTestBroker();
});

afterEach(() => killAll());

afterAll(async () => {
  await tb.close();
});

describe('exit codes', () => {
  it('0: success', async () => {
    const r = await cli('topics', 'list');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('1: the broker failed the operation; prints the error code name and message', async () => {
    expect((await cli('topics', 'create', 'exists')).code).toBe(0);
    const r = await cli('topics', 'create', 'exists');
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^error: TOPIC_ALREADY_EXISTS: \S.*/)]);
  });

  it.each([
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['topics', 'list', '--no-such-option']],
    ['a missing argument', ['topics', 'create']],
    ['a non-numeric partition count', ['topics', 'create', 't', '--partitions', 'three']],
    ['a partition count of zero', ['topics', 'create', 't', '--partitions', '0']],
    ['a config without "="', ['topics', 'create', 't', '--config', 'segment.bytes']],
    ['an invalid topic name', ['topics', 'create', 'no spaces allowed']],
    ['an invalid --acks', ['produce', 't', '--acks', '2']],
    ['an invalid --offset', ['consume', 't', '--offset', 'soon']],
    ['an invalid --offset time', ['consume', 't', '--offset', '@yesterday']],
    ['an unknown --format field', ['consume', 't', '--format', '%q']],
    ['--format with --json', ['consume', 't', '--format', '%v', '--json']],
    ['conflicting start options', ['consume', 't', '--from-beginning', '--offset', '3']],
    ['a command group without its subcommand', ['topics']],
  ])('2: usage error for %s', async (_name, args) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr.length).toBeGreaterThan(0);
  });

  it('2: usage error for a broker URL that is not ws:// or wss://', async () => {
    const r = await runCli(['--brokers', 'http://127.0.0.1:9092', 'topics', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a ws:\/\/ or wss:\/\/ URL/);
  });

  it('3: cannot connect to any broker (connection refused)', async () => {
    const port = await closedPort();
    const r = await runCli(['--brokers', `ws://127.0.0.1:${port}`, '--timeout', '3000', 'topics', 'list']);
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: cannot connect to any broker \\(ws://127\\.0\\.0\\.1:${port}\\): `))]);
  });

  it('3: reports a stopped broker (connection refused) as such, without waiting for --timeout or the SDK retries', async () => {
    const port = await closedPort();
    const r = await runCli(['-b', `127.0.0.1:${port}`, '--timeout', '60000', 'topics', 'list'], { deadlineMs: 30_000 });
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: cannot connect to any broker \\(ws://127\\.0\\.0\\.1:${port}\\): connection refused \\(nothing listens on 127\\.0\\.0\\.1:${port}\\)$`))]);
  });

  it('accepts -b host:port as Kafka tools do', async () => {
    const r = await runCli(['-b', new URL(tb.url).host, 'topics', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('topics');
  });

  it('3: also for produce and consume, with the broker list from STRATA_BROKERS', async () => {
    const port = await closedPort();
    const env = { STRATA_BROKERS: `ws://127.0.0.1:${port}` };
    const p = await runCli(['produce', 't', '--timeout', '2000'], { input: 'x\n', env });
    expect(p.code).toBe(3);
    const c = await runCli(['consume', 't', '--timeout', '2000'], { env });
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/^error: cannot connect to any broker/);
  });

  it('uses STRATA_BROKERS when --brokers is not given', async () => {
    const r = await runCli(['topics', 'list', '--json'], { env: { STRATA_BROKERS: tb.url } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('topics');
  });

  it('prints a stack trace only with STRATA_DEBUG=1', async () => {
    const port = await closedPort();
    const args = ['--brokers', `ws://127.0.0.1:${port}`, '--timeout', '1000', 'topics', 'list'];
    const quiet = await runCli(args);
    expect(quiet.stderr).not.toMatch(STACK_LINE);
    const debug = await runCli(args, { env: { STRATA_DEBUG: '1' } });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(STACK_LINE);
  });
});
