/** `strata produce` and `strata consume` (without --follow) against a real broker. */
import { killAll, runCli, startCli } from './helpers/cli';
import { lines, startTestBroker, type TestBroker } from './helpers/broker';

jest.setTimeout(60_000);

let tb: TestBroker;
const cli = (args: string[], input?: string) => runCli(['--brokers', tb.url, ...args], input === undefined ? {} : { input });

async function createTopic(topic: string, partitions: number): Promise<void> {
  const r = await cli(['topics', 'create', topic, '--partitions', String(partitions)]);
  expect(r.code).toBe(0);
}

beforeAll(async () => {
  tb = await startTestBroker();
});

afterEach(() => killAll());

afterAll(async () => {
  await tb.close();
});

describe('strata produce', () => {
  it('sends one record per line and prints a summary on stderr', async () => {
    await createTopic('plain', 1);
    const r = await cli(['produce', 'plain'], 'first\nsecond\r\n\nlast without newline');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['produced 4 records to topic "plain"', '  partition 0: 4 records, last offset 3']);

    const c = await cli(['consume', 'plain', '--from-beginning']);
    expect(c.code).toBe(0);
    expect(lines(c.stdout)).toEqual(['0\t0\t\tfirst', '0\t1\t\tsecond', '0\t2\t\t', '0\t3\t\tlast without newline']);
  });

  it('splits keys at the key separator, keeps the partition order of lines, and prints JSON with headers and timestamp', async () => {
    await createTopic('keyed', 3);
    const input = ['alice:1', 'bob:2', 'alice:3', 'carol:4', 'no separator here', 'bob:5:with colon'].join('\n');
    const before = Date.now();
    const p = await cli(['produce', 'keyed', '--key-separator', ':', '--header', 'source=cli', '--header', 'run=1', '--json'], input);
    expect(p.code).toBe(0);
    const summary = JSON.parse(p.stdout) as { topic: string; records: number; partitions: Array<{ partition: number; records: number; lastOffset: number }> };
    expect(summary.topic).toBe('keyed');
    expect(summary.records).toBe(6);
    expect(summary.partitions.reduce((n, s) => n + s.records, 0)).toBe(6);

    const c = await cli(['consume', 'keyed', '--from-beginning', '--json']);
    expect(c.code).toBe(0);
    const records = lines(c.stdout).map((l) => JSON.parse(l) as { topic: string; partition: number; offset: number; timestamp: number; key: string | null; value: string; headers: unknown });
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.topic).toBe('keyed');
      expect(r.headers).toEqual([
        { key: 'source', value: 'cli' },
        { key: 'run', value: '1' },
      ]);
      expect(r.timestamp).toBeGreaterThanOrEqual(before - 60_000);
    }
    const byKey = (key: string | null) => records.filter((r) => r.key === key).map((r) => r.value);
    expect(byKey('alice')).toEqual(['1', '3']);
    expect(byKey('bob')).toEqual(['2', '5:with colon']);
    expect(byKey('carol')).toEqual(['4']);
    expect(byKey(null)).toEqual(['no separator here']);
    // Each key stays in one partition; the summary's last offsets match what was read.
    for (const key of ['alice', 'bob']) expect(new Set(records.filter((r) => r.key === key).map((r) => r.partition)).size).toBe(1);
    for (const s of summary.partitions) {
      expect(Math.max(...records.filter((r) => r.partition === s.partition).map((r) => r.offset))).toBe(s.lastOffset);
    }

    const text = await cli(['consume', 'keyed', '--from-beginning']);
    expect(lines(text.stdout)).toContainEqual(expect.stringMatching(/^\d\t\d\talice\t1$/));
    expect(lines(text.stdout)).toContainEqual(expect.stringMatching(/^\d\t\d\t\tno separator here$/));
  });

  it('writes to a given partition with --partition, and consume reads only the partitions asked for', async () => {
    await createTopic('pinned', 3);
    expect((await cli(['produce', 'pinned', '--partition', '2', '--acks', '1'], 'x\ny\n')).code).toBe(0);
    expect((await cli(['produce', 'pinned', '--partition', '0', '--acks', '0'], 'z\n')).code).toBe(0);

    const c2 = await cli(['consume', 'pinned', '--from-beginning', '--partition', '2']);
    expect(lines(c2.stdout)).toEqual(['2\t0\t\tx', '2\t1\t\ty']);
    const c0 = await cli(['consume', 'pinned', '--from-beginning', '-p', '0,1']);
    expect(lines(c0.stdout)).toEqual(['0\t0\t\tz']);
  });

  it('fails with UNKNOWN_TOPIC_OR_PARTITION (exit 1) for a topic or partition that does not exist', async () => {
    const topic = await cli(['produce', 'missing-topic'], 'x\n');
    expect(topic.code).toBe(1);
    expect(topic.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: /);
    await createTopic('two-partitions', 2);
    const partition = await cli(['produce', 'two-partitions', '--partition', '5'], 'x\n');
    expect(partition.code).toBe(1);
    expect(partition.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: /);
  });

  it('sends many lines in batches and reads every one back in order', async () => {
    await createTopic('bulk', 1);
    const count = 20_000;
    const input = Array.from({ length: count }, (_, i) => `line-${i}`).join('\n') + '\n';
    const p = await cli(['produce', 'bulk', '--acks', '1'], input);
    expect(p.code).toBe(0);
    expect(lines(p.stderr)[1]).toBe(`  partition 0: ${count} records, last offset ${count - 1}`);

    const c = await cli(['consume', 'bulk', '--from-beginning', '--value-only']);
    expect(c.code).toBe(0);
    expect(lines(c.stdout)).toEqual(Array.from({ length: count }, (_, i) => `line-${i}`));
  });
});

describe('strata consume', () => {
  beforeAll(async () => {
    await createTopic('reads', 2);
    const values = Array.from({ length: 10 }, (_, i) => `v${i}`).join('\n');
    expect((await cli(['produce', 'reads', '--partition', '0'], values)).code).toBe(0);
    expect((await cli(['produce', 'reads', '--partition', '1', '--key-separator', '='], 'k=w0\nk=w1\n')).code).toBe(0);
  });

  it('starts at the end by default, so without --follow it prints nothing and exits 0', async () => {
    const c = await cli(['consume', 'reads']);
    expect(c).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('starts at an offset in every partition, or per partition with P:N', async () => {
    const all = await cli(['consume', 'reads', '--offset', '1']);
    expect(lines(all.stdout).sort()).toEqual(['0\t1\t\tv1', ...Array.from({ length: 8 }, (_, i) => `0\t${i + 2}\t\tv${i + 2}`), '1\t1\tk\tw1'].sort());

    const one = await cli(['consume', 'reads', '--offset', '0:8']);
    expect(lines(one.stdout)).toEqual(['0\t8\t\tv8', '0\t9\t\tv9']);
  });

  it('starts kcat-style at beginning, end, -N records before the end, or @time', async () => {
    expect(lines((await cli(['consume', 'reads', '-p', '0', '-o', 'beginning', '-n', '2'])).stdout)).toEqual(['0\t0\t\tv0', '0\t1\t\tv1']);
    expect((await cli(['consume', 'reads', '-o', 'end'])).stdout).toBe('');
    expect(lines((await cli(['consume', 'reads', '-o', '-2'])).stdout).sort()).toEqual(['0\t8\t\tv8', '0\t9\t\tv9', '1\t0\tk\tw0', '1\t1\tk\tw1']);
    expect(lines((await cli(['consume', 'reads', '-o', '0:-1'])).stdout)).toEqual(['0\t9\t\tv9']);
    // Every record was written before now, none after: @past reads everything, @future nothing.
    expect(lines((await cli(['consume', 'reads', '-p', '1', '-o', '@0'])).stdout)).toEqual(['1\t0\tk\tw0', '1\t1\tk\tw1']);
    expect((await cli(['consume', 'reads', '-o', `@${new Date(Date.now() + 3_600_000).toISOString()}`])).stdout).toBe('');
  });

  it('prints records with a --format string: fields, headers and lengths', async () => {
    await createTopic('formatted', 1);
    expect((await cli(['produce', 'formatted', '--key-separator', '=', '-H', 'trace=abc', '-H', 'env=test'], 'k=v\nno key\n')).code).toBe(0);
    const c = await cli(['consume', 'formatted', '-o', 'beginning', '--format', '%t %p:%o [%k] (%K) %v %h\\n']);
    expect(c.code).toBe(0);
    expect(c.stdout).toBe('formatted 0:0 [k] (1) v trace=abc,env=test\nformatted 0:1 [] (-1) no key trace=abc,env=test\n');
    const bad = await cli(['consume', 'formatted', '--format', '%z']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown field "%z"/);
  });

  it('fails with OFFSET_OUT_OF_RANGE (exit 1) for an offset past the end', async () => {
    const c = await cli(['consume', 'reads', '--offset', '0:11']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^error: OFFSET_OUT_OF_RANGE: /);
  });

  it('stops after --max-messages records', async () => {
    const c = await cli(['consume', 'reads', '--from-beginning', '--partition', '0', '--max-messages', '3']);
    expect(c.code).toBe(0);
    expect(lines(c.stdout)).toEqual(['0\t0\t\tv0', '0\t1\t\tv1', '0\t2\t\tv2']);
  });

  it('prints key<sep>value with --key-separator, which produce --key-separator reads back', async () => {
    const c = await cli(['consume', 'reads', '--from-beginning', '--partition', '1', '--key-separator', ':']);
    expect(c.stdout).toBe('k:w0\nk:w1\n');
    await createTopic('copy', 1);
    expect((await cli(['produce', 'copy', '--key-separator', ':'], c.stdout)).code).toBe(0);
    const copy = await cli(['consume', 'copy', '--from-beginning']);
    expect(lines(copy.stdout)).toEqual(['0\t0\tk\tw0', '0\t1\tk\tw1']);
  });

  it('fails with UNKNOWN_TOPIC_OR_PARTITION (exit 1) for a missing topic or partition', async () => {
    const topic = await cli(['consume', 'no-such-topic', '--from-beginning']);
    expect(topic.code).toBe(1);
    expect(topic.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: /);
    const partition = await cli(['consume', 'reads', '--partition', '7']);
    expect(partition.code).toBe(1);
    expect(partition.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: .*no partition 7/);
  });

  it('exits quietly with 0 when its stdout is closed early (as with `| head`)', async () => {
    await createTopic('epipe', 1);
    const input = Array.from({ length: 50_000 }, (_, i) => `record number ${i} with some padding to fill the pipe`).join('\n');
    expect((await cli(['produce', 'epipe', '--acks', '1'], input)).code).toBe(0);

    const c = startCli(['--brokers', tb.url, 'consume', 'epipe', '--from-beginning']);
    c.child.stdin.end();
    await c.waitForStdout((out) => out.includes('\n'));
    c.child.stdout.destroy(); // the reader goes away, like `head` after its lines
    const result = await c.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
