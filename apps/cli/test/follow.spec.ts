/** `strata consume --follow`: receives records produced after it started; SIGINT/SIGTERM end it with 0. */
import { killAll, runCli, startCli } from './helpers/cli';
import { lines, startTestBroker, type TestBroker } from './helpers/broker';

jest.setTimeout(60_000);

let tb: TestBroker;
const produce = async (topic: string, input: string, ...args: string[]) => {
  const r = await runCli(['--brokers', tb.url, 'produce', topic, ...args], { input });
  expect(r.code).toBe(0);
};

beforeAll(async () => {
  tb = await startTestBroker();
  expect((await runCli(['--brokers', tb.url, 'topics', 'create', 'live', '--partitions', '2'])).code).toBe(0);
});

afterEach(() => killAll());

afterAll(async () => {
  await tb.close();
});

describe('strata produce, interrupted', () => {
  it('sends the lines read so far, prints the summary and exits 0 on SIGINT', async () => {
    expect((await runCli(['--brokers', tb.url, 'topics', 'create', 'typed'])).code).toBe(0);
    const p = startCli(['--brokers', tb.url, 'produce', 'typed', '--key-separator', ':']);
    p.child.stdin.write('typed:by hand\n'); // stdin stays open, as in a terminal
    // Wait until the record is in the log, so the signal cannot overtake the line.
    for (;;) {
      const c = await runCli(['--brokers', tb.url, 'consume', 'typed', '--from-beginning']);
      if (c.stdout.includes('typed\tby hand')) break;
    }
    const result = await p.stop('SIGINT');
    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual(['produced 1 record to topic "typed"', '  partition 0: 1 record, last offset 0']);
  });
});

describe('strata consume --follow', () => {
  it('prints records produced after it started, then exits 0 on SIGINT', async () => {
    await produce('live', 'before\n', '--partition', '0');
    const c = startCli(['--brokers', tb.url, 'consume', 'live', '--from-beginning', '--follow']);
    await c.waitForStdout((out) => out.includes('before'));

    await produce('live', 'after-1\n', '--partition', '1');
    await produce('live', 'a:after-2\n', '--partition', '0', '--key-separator', ':');
    await c.waitForStdout((out) => out.includes('after-1') && out.includes('after-2'));

    const result = await c.stop('SIGINT');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual(['0\t0\t\tbefore', '1\t0\t\tafter-1', '0\t1\ta\tafter-2']);
  });

  it('starts at the end by default, prints JSON lines, and exits 0 on SIGTERM', async () => {
    const c = startCli(['--brokers', tb.url, 'consume', 'live', '--follow', '--json', '--partition', '1']);
    // The consumer starts at the end it finds; probe until it prints a probe record, so we know it is reading.
    for (let i = 0; !c.stdout.includes('probe'); i++) {
      await produce('live', `probe-${i}\n`, '--partition', '1');
      await c.waitForStdout((out) => out.includes('probe'), 1_000).catch(() => undefined);
    }
    await produce('live', 'k=fresh\n', '--partition', '1', '--key-separator', '=', '--header', 'h=1');
    await c.waitForStdout((out) => out.includes('fresh'));

    const result = await c.stop('SIGTERM');
    expect(result.code).toBe(0);
    const records = lines(result.stdout).map((l) => JSON.parse(l) as { partition: number; key: string | null; value: string; headers: unknown; timestamp: number });
    expect(records.every((r) => r.partition === 1)).toBe(true);
    expect(records.some((r) => r.value === 'before' || r.value === 'after-1')).toBe(false);
    expect(records[records.length - 1]).toMatchObject({ key: 'k', value: 'fresh', headers: [{ key: 'h', value: '1' }] });
    expect(typeof records[records.length - 1]?.timestamp).toBe('number');
  });
});
