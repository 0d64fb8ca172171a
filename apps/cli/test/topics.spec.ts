/** `strata topics create|list|describe|delete` against a real broker. */
import { killAll, runCli } from './helpers/cli';
import { lines, startTestBroker, type TestBroker } from './helpers/broker';

jest.setTimeout(60_000);

let tb: TestBroker;
const cli = (...args: string[]) => runCli(['--brokers', tb.url, ...args]);

beforeAll(async () => {
  tb = await startTestBroker();
});

afterEach(() => killAll());

afterAll(async () => {
  await tb.close();
});

describe('strata topics', () => {
  it('creates a topic with partitions and config overrides, and refuses to create it twice', async () => {
    const created = await cli('topics', 'create', 'orders', '--partitions', '3', '--config', 'segment.bytes=1048576');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toBe('created topic "orders" with 3 partitions\n');

    const again = await cli('topics', 'create', 'orders');
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(lines(again.stderr)).toEqual([expect.stringMatching(/^error: TOPIC_ALREADY_EXISTS: .*orders/)]);

    const tolerated = await cli('topics', 'create', 'orders', '--if-not-exists', '--json');
    expect(tolerated.code).toBe(0);
    expect(JSON.parse(tolerated.stdout)).toEqual({ topic: 'orders', partitions: 3, created: false });
  });

  it('alters settings at run time, validates them, and returns them to the default', async () => {
    expect((await cli('topics', 'create', 'tunable')).code).toBe(0);
    const changed = await cli('topics', 'alter', 'tunable', '--config', 'retention.ms=60000', '--config', 'cleanup.policy=compact,delete');
    expect(changed).toMatchObject({ code: 0, stdout: 'changed: topic "tunable": retention.ms=60000, cleanup.policy=compact,delete\n' });
    const described = JSON.parse((await cli('topics', 'describe', 'tunable', '--json')).stdout) as { topics: Array<{ configs: Array<{ name: string; value: string; isDefault: boolean }> }> };
    expect(described.topics[0]!.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '60000', isDefault: false });
    const bad = await cli('topics', 'alter', 'tunable', '--config', 'retention.ms=soon');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_CONFIG.*retention\.ms/);
    expect((await cli('topics', 'alter', 'tunable')).code).toBe(2);
    const reset = await cli('topics', 'alter', 'tunable', '--delete-config', 'retention.ms', '--json');
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ topic: 'tunable', removed: ['retention.ms'] });
  });

  it('prints created topics as JSON', async () => {
    const r = await cli('topics', 'create', 'json-topic', '-p', '2', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ topic: 'json-topic', partitions: 2, created: true });
  });

  it('lists topic names, as text and as JSON', async () => {
    await cli('topics', 'create', 'list-b');
    await cli('topics', 'create', 'list-a');
    const text = await cli('topics', 'list');
    expect(text.code).toBe(0);
    const names = lines(text.stdout);
    expect(names).toEqual(expect.arrayContaining(['list-a', 'list-b']));
    expect(names).toEqual([...names].sort());

    const json = await cli('topics', 'list', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { topics: string[] };
    expect(parsed.topics).toEqual(names);
  });

  it('describes partitions with offsets, high watermark and size, and configs with default/override markers', async () => {
    await cli('topics', 'create', 'described', '-p', '2', '-c', 'segment.bytes=2097152');
    const produced = await runCli(['--brokers', tb.url, 'produce', 'described', '--partition', '1'], { input: 'a\nb\nc\n' });
    expect(produced.code).toBe(0);

    const text = await cli('topics', 'describe', 'described');
    expect(text.code).toBe(0);
    const out = lines(text.stdout);
    expect(out[0]).toBe('Topic: described  partitions: 2');
    expect(out[1]).toMatch(/PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+START-OFFSET\s+END-OFFSET\s+HIGH-WATERMARK\s+SIZE-BYTES\s+SEGMENTS/);
    expect(out[2]).toMatch(/^\s+0\s+\d+\s+\d+\s+\d+\s+0\s+0\s+0\s+0\s+1$/);
    expect(out[3]).toMatch(/^\s+1\s+\d+\s+\d+\s+\d+\s+0\s+3\s+3\s+[1-9]\d*\s+1$/);
    expect(out).toContainEqual(expect.stringMatching(/^\s+segment\.bytes=2097152\s+\(override\)$/));
    expect(out).toContainEqual(expect.stringMatching(/^\s+segment\.ms=\d+\s+\(default\)$/));

    const json = await cli('topics', 'describe', 'described', '--json');
    expect(json.code).toBe(0);
    const { topics } = JSON.parse(json.stdout) as { topics: Array<{ name: string; partitions: Array<Record<string, number>>; configs: Array<{ name: string; value: string; isDefault: boolean }> }> };
    expect(topics).toHaveLength(1);
    expect(topics[0]?.name).toBe('described');
    expect(topics[0]?.partitions[1]).toMatchObject({ partition: 1, logStartOffset: 0, logEndOffset: 3, highWatermark: 3 });
    expect(topics[0]?.partitions[1]?.['size']).toBeGreaterThan(0);
    expect(topics[0]?.configs).toContainEqual({ name: 'segment.bytes', value: '2097152', isDefault: false });
  });

  it('fails with UNKNOWN_TOPIC_OR_PARTITION (exit 1) to describe a topic that does not exist', async () => {
    const r = await cli('topics', 'describe', 'no-such-topic');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: .*no-such-topic/);
  });

  it('deletes topics, fails for a missing one unless --if-exists', async () => {
    await cli('topics', 'create', 'doomed-1');
    await cli('topics', 'create', 'doomed-2');
    const r = await cli('topics', 'delete', 'doomed-1', 'doomed-2');
    expect(r).toMatchObject({ code: 0, stdout: 'deleted topic "doomed-1"\ndeleted topic "doomed-2"\n', stderr: '' });
    expect(lines((await cli('topics', 'list')).stdout)).not.toContain('doomed-1');

    const missing = await cli('topics', 'delete', 'doomed-1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: UNKNOWN_TOPIC_OR_PARTITION: /);

    const tolerated = await cli('topics', 'delete', 'doomed-1', '--if-exists', '--json');
    expect(tolerated.code).toBe(0);
    expect(JSON.parse(tolerated.stdout)).toEqual({ deleted: [] });
  });

  it('reports an invalid config value from the broker as INVALID_CONFIG (exit 1)', async () => {
    const r = await cli('topics', 'create', 'bad-config', '--config', 'segment.bytes=tiny');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: INVALID_CONFIG: .*segment\.bytes/);
  });
});
