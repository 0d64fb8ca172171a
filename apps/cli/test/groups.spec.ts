/** `strata consume --group` and `strata groups list|describe|reset-offsets|delete` against a real broker. */
import { killAll, runCli, startCli } from './helpers/cli';
import { lines, startTestBroker, type TestBroker } from './helpers/broker';

jest.setTimeout(60_000);

let tb: TestBroker;
const cli = (args: string[], input?: string) => runCli(['--brokers', tb.url, ...args], input === undefined ? {} : { input });

async function ok(args: string[], input?: string): Promise<string> {
  const r = await cli(args, input);
  if (r.code !== 0) expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r.stdout;
}

beforeAll(async () => {
  tb = await startTestBroker();
});

afterEach(() => killAll());

afterAll(async () => {
  await tb.close();
});

describe('strata consume --group', () => {
  it('prints what the group has not consumed yet and commits what it printed', async () => {
    await ok(['topics', 'create', 'ledger', '--partitions', '2']);
    await ok(['produce', 'ledger', '--partition', '0'], 'a\nb\n');
    await ok(['produce', 'ledger', '--partition', '1'], 'c\n');

    const first = await ok(['consume', 'ledger', '--group', 'auditors', '--from-beginning', '--value-only']);
    expect(lines(first).sort()).toEqual(['a', 'b', 'c']);
    expect(await ok(['consume', 'ledger', '--group', 'auditors', '--value-only'])).toBe(''); // everything was committed

    await ok(['produce', 'ledger', '--partition', '1'], 'd\n');
    expect(lines(await ok(['consume', 'ledger', '--group', 'auditors', '--value-only']))).toEqual(['d']);

    const described = JSON.parse(await ok(['groups', 'describe', 'auditors', '--json'])) as { groups: Array<{ state: string; offsets: Array<{ partition: number; committedOffset: number; lag: number }> }> };
    expect(described.groups[0]!.state).toBe('empty');
    expect(described.groups[0]!.offsets.map((o) => [o.partition, o.committedOffset, o.lag])).toEqual([
      [0, 2, 0],
      [1, 2, 0],
    ]);
  });

  it('commits exactly the records printed under --max-messages', async () => {
    await ok(['topics', 'create', 'capped']);
    await ok(['produce', 'capped'], '1\n2\n3\n4\n5\n');
    expect(lines(await ok(['consume', 'capped', '--group', 'capped-readers', '--from-beginning', '--value-only', '--max-messages', '2']))).toEqual(['1', '2']);
    expect(lines(await ok(['consume', 'capped', '--group', 'capped-readers', '--value-only']))).toEqual(['3', '4', '5']);
  });

  it('follows until SIGINT, exits 0, and a later run continues after what it printed', async () => {
    await ok(['topics', 'create', 'feed']);
    const c = startCli(['--brokers', tb.url, 'consume', 'feed', '--group', 'followers', '--follow', '--value-only']);
    for (let i = 0; !c.stdout.includes('probe'); i++) {
      await ok(['produce', 'feed'], `probe-${i}\n`);
      await c.waitForStdout((out) => out.includes('probe'), 1_000).catch(() => undefined);
    }
    await ok(['produce', 'feed'], 'live\n');
    await c.waitForStdout((out) => out.includes('live'));
    const result = await c.stop('SIGINT');
    expect(result.code).toBe(0);
    await ok(['produce', 'feed'], 'later\n');
    expect(lines(await ok(['consume', 'feed', '--group', 'followers', '--value-only']))).toEqual(['later']);
  });

  it('refuses --partition and --offset with --group (usage error)', async () => {
    const r = await cli(['consume', 'ledger', '--group', 'g', '--partition', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be used with/);
  });
});

describe('strata groups', () => {
  it('lists groups with state and members, as text and JSON, filtered by state', async () => {
    await ok(['topics', 'create', 'listed']);
    await ok(['produce', 'listed'], 'x\n');
    await ok(['consume', 'listed', '--group', 'listed-group', '--from-beginning']);
    const text = lines(await ok(['groups', 'list']));
    expect(text[0]).toMatch(/^GROUP\s+STATE\s+MEMBERS$/);
    expect(text).toContainEqual(expect.stringMatching(/^listed-group\s+empty\s+0$/));
    const json = JSON.parse(await ok(['groups', 'list', '--json', '--state', 'empty'])) as { groups: Array<{ groupId: string; state: string; members: number }> };
    expect(json.groups).toContainEqual({ groupId: 'listed-group', state: 'empty', members: 0 });
    const stable = JSON.parse(await ok(['groups', 'list', '--json', '--state', 'stable'])) as { groups: unknown[] };
    expect(stable.groups).toEqual([]);
    const bad = await cli(['groups', 'list', '--state', 'sleepy']);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/'sleepy' is invalid. expected one of empty, reconciling/) });
  });

  it('describes a group with a live member: members, partitions, committed offsets and lag', async () => {
    await ok(['topics', 'create', 'watched', '--partitions', '2']);
    await ok(['produce', 'watched', '--partition', '0'], 'a\nb\nc\n');
    const c = startCli(['--brokers', tb.url, 'consume', 'watched', '--group', 'watchers', '--follow', '--from-beginning', '--value-only']);
    await c.waitForStdout((out) => lines(out).length === 3);
    let text = '';
    for (let i = 0; i < 100 && !/watched\s+0\s+3\s+3\s+0\s+\S+/.test(text); i++) {
      text = await ok(['groups', 'describe', 'watchers']); // the member commits within its auto-commit interval
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const out = lines(text);
    expect(out[0]).toMatch(/^Group: watchers {2}state: stable {2}epoch: \d+ {2}assignor: sticky {2}members: 1 {2}coordinator: \d+$/);
    expect(out).toContainEqual(expect.stringMatching(/^\s+MEMBER\s+INSTANCE\s+CLIENT\s+EPOCH\s+PARTITIONS$/));
    expect(out).toContainEqual(expect.stringMatching(/^\s+[0-9a-f-]{36}\s+-\s+strata-cli\s+\d+\s+watched:0,1$/));
    expect(out).toContainEqual(expect.stringMatching(/^\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+MEMBER$/));
    expect(out).toContainEqual(expect.stringMatching(/^\s+watched\s+0\s+3\s+3\s+0\s+[0-9a-f-]{36}$/));

    // Offsets cannot be reset under a live member.
    const refused = await cli(['groups', 'reset-offsets', 'watchers', 'watched', '--to-earliest']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: NON_EMPTY_GROUP: .*stop its consumers/);
    expect((await c.stop('SIGTERM')).code).toBe(0);

    const missing = await cli(['groups', 'describe', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: GROUP_ID_NOT_FOUND: group "nobody" does not exist/);
  });

  it('resets offsets to the earliest, the latest, a time or explicit offsets', async () => {
    await ok(['topics', 'create', 'replayed', '--partitions', '2']);
    await ok(['produce', 'replayed', '--partition', '0'], 'a\nb\nc\n');
    await ok(['produce', 'replayed', '--partition', '1'], 'd\n');
    await ok(['consume', 'replayed', '--group', 'replayers', '--from-beginning']);

    expect(lines(await ok(['groups', 'reset-offsets', 'replayers', 'replayed', '--to-earliest']))).toEqual(['PARTITION  NEW-OFFSET', '0          0', '1          0']);
    expect(lines(await ok(['consume', 'replayed', '--group', 'replayers', '--value-only'])).sort()).toEqual(['a', 'b', 'c', 'd']);

    const json = JSON.parse(await ok(['groups', 'reset-offsets', 'replayers', 'replayed', '--to-offset', '0:2', '--json'])) as unknown;
    expect(json).toEqual({ group: 'replayers', topic: 'replayed', offsets: [{ partition: 0, offset: 2 }] });
    expect(lines(await ok(['consume', 'replayed', '--group', 'replayers', '--value-only']))).toEqual(['c']);

    expect(lines(await ok(['groups', 'reset-offsets', 'replayers', 'replayed', '--to-timestamp', '1970-01-01T00:00:00Z']))).toEqual(['PARTITION  NEW-OFFSET', '0          0', '1          0']);
    expect(lines(await ok(['groups', 'reset-offsets', 'replayers', 'replayed', '--to-latest']))).toEqual(['PARTITION  NEW-OFFSET', '0          3', '1          1']);

    const usage = await cli(['groups', 'reset-offsets', 'replayers', 'replayed']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--to-earliest/);
  });

  it('deletes groups without members; a missing group fails unless --if-exists', async () => {
    await ok(['topics', 'create', 'gone']);
    await ok(['produce', 'gone'], 'x\n');
    await ok(['consume', 'gone', '--group', 'doomed', '--from-beginning']);
    expect(await ok(['groups', 'delete', 'doomed'])).toBe('deleted group "doomed"\n');
    const again = await cli(['groups', 'delete', 'doomed']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: GROUP_ID_NOT_FOUND: /);
    expect(JSON.parse(await ok(['groups', 'delete', 'doomed', '--if-exists', '--json']))).toEqual({ deleted: [] });
  });
});
