/** `strata perf produce|consume|e2e` against a real broker: short runs, structure and records moved (never timings). */
import { killAll, runCli } from './helpers/cli';
import { lines, startTestBroker, type TestBroker } from './helpers/broker';

jest.setTimeout(60_000);

let tb: TestBroker;
const cli = (args: string[]) => runCli(['--brokers', tb.url, ...args], { deadlineMs: 30_000 });

interface Summary {
  command: string;
  topic: string;
  records: number;
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  latencyMs: { measures: string; count: number; p50: number; p99: number; p999: number; max: number; mean: number };
  clientCpuSeconds: number;
  clientCpuPercent: number;
  settings: Record<string, unknown>;
  extra?: Record<string, number>;
}

function summary(stdout: string): Summary {
  return JSON.parse(stdout) as Summary;
}

function expectLatencyShape(s: Summary): void {
  const l = s.latencyMs;
  for (const k of ['p50', 'p99', 'p999', 'max', 'mean'] as const) expect(typeof l[k]).toBe('number');
  expect(l.p50).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.p999);
  expect(l.p999).toBeLessThanOrEqual(l.max);
}

beforeAll(async () => {
  tb = await startTestBroker();
});

afterEach(() => killAll());

afterAll(async () => {
  await tb.close();
});

describe('strata perf', () => {
  it('produce sends the records it reports (creating the topic), and consume reads them all back', async () => {
    const p = await cli(['perf', 'produce', 'perf-a', '--records', '5000', '--record-size', '50', '--partitions', '3', '--acks', '1', '--messages-per-send', '500', '--in-flight', '4', '--json']);
    expect(p.code).toBe(0);
    const produced = summary(p.stdout);
    expect(produced).toMatchObject({ command: 'produce', topic: 'perf-a', records: 5000, bytes: 250_000 });
    expect(produced.settings).toMatchObject({ partitions: 3, recordSize: 50, acks: 1, inFlight: 4, messagesPerSend: 500 });
    expect(produced.latencyMs.count).toBe(10); // one sample per send() call
    expectLatencyShape(produced);
    expect(produced.clientCpuSeconds).toBeGreaterThan(0);

    // The log really holds them: the end offsets of the three partitions add up.
    const d = await cli(['topics', 'describe', 'perf-a', '--json']);
    expect(d.code).toBe(0);
    const { topics } = JSON.parse(d.stdout) as { topics: Array<{ partitions: Array<{ highWatermark: number }> }> };
    expect(topics[0]!.partitions).toHaveLength(3);
    expect(topics[0]!.partitions.reduce((n, x) => n + x.highWatermark, 0)).toBe(5000);

    const c = await cli(['perf', 'consume', 'perf-a', '--json']);
    expect(c.code).toBe(0);
    const consumed = summary(c.stdout);
    expect(consumed).toMatchObject({ command: 'consume', records: 5000, bytes: 250_000 });
    expectLatencyShape(consumed);

    const g = await cli(['perf', 'consume', 'perf-a', '--group', 'perf-readers', '--mode', 'each-batch', '--json']);
    expect(g.code).toBe(0);
    expect(summary(g.stdout)).toMatchObject({ records: 5000, settings: { group: 'perf-readers', mode: 'each-batch' } });
    // The group committed what it read.
    const groups = await cli(['groups', 'describe', 'perf-readers', '--json']);
    expect(groups.code).toBe(0);
    expect(groups.stdout).toContain('perf-a');

    const m = await cli(['perf', 'consume', 'perf-a', '--mode', 'each-message', '--records', '1200', '--json']);
    expect(m.code).toBe(0);
    expect(summary(m.stdout).records).toBeGreaterThanOrEqual(1200);
  });

  it('prints progress lines on stderr and a text summary on stdout', async () => {
    const p = await cli(['perf', 'produce', 'perf-b', '--duration', '0.6', '--rate', '2000', '--messages-per-send', '100', '--in-flight', '2', '--progress-interval', '100']);
    expect(p.code).toBe(0);
    const progress = lines(p.stderr);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const line of progress) expect(line).toMatch(/^\d+\.\d s: [\d,]+ records, [\d,]+ msgs\/s, [\d.,]+ MB\/s/);
    expect(p.stdout).toMatch(/^perf produce +topic "perf-b"/);
    expect(p.stdout).toMatch(/throughput +[\d,]+ msgs\/s/);
    expect(p.stdout).toMatch(/latency \(ms\) +p50 [\d.,]+ +p99 [\d.,]+ +p99\.9 [\d.,]+ +max [\d.,]+/);
    expect(p.stdout).toMatch(/client CPU/);
    const records = Number(/records +([\d,]+)/.exec(p.stdout)![1]!.replace(/,/g, ''));
    expect(records).toBeGreaterThan(0);
    expect(records).toBeLessThanOrEqual(2000); // --rate 2000 for 0.6 s, at most one send() ahead
  });

  it('e2e receives every record it sends and reports their latency', async () => {
    const r = await cli(['perf', 'e2e', 'perf-c', '--rate', '200', '--duration', '1', '--warmup', '0.2', '--progress-interval', '0', '--json']);
    expect(r.code).toBe(0);
    const s = summary(r.stdout);
    expect(s.command).toBe('e2e');
    expect(s.extra!['sent']).toBeGreaterThan(100);
    expect(s.extra!['lost']).toBe(0);
    expect(s.records).toBe(s.extra!['sent']);
    expect(s.latencyMs.count).toBe(s.records);
    expectLatencyShape(s);
    expect(s.settings).toMatchObject({ rate: 200, warmupMs: 200, acks: 1, lingerMs: 0 });
  });

  it('refuses bad options with a usage error', async () => {
    const r = await cli(['perf', 'e2e', 'perf-d', '--rate', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rate/);
    const c = await cli(['perf', 'consume', 'perf-d', '--mode', 'sideways']);
    expect(c.code).toBe(2);
  });
});
