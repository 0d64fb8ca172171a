/**
 * Storage fuzzer (hardening issue, "Proof"): damaged data folders. Pristine folders are written by
 * a real broker once (helpers/storage-template.ts: stopped cleanly, and copied mid-write as a crash
 * leaves them); each case copies one, applies one damage (helpers/storage-damage.ts: segment cut,
 * bits flipped, a batch-header field rewritten, a page lost, garbage appended; index and time
 * index entries rewritten, cut, garbled, deleted; the recovery checkpoint garbled or lying), then:
 * - `verifyDataDir` (offline `strata storage verify`) completes and reports damage whenever a
 *   batch was damaged;
 * - start-up completes; most cases load the partition through a LogManager (what the broker does
 *   at start), some start a whole broker and read over the wire;
 * - the reads of helpers/storage-check.ts: a consumer's walk and reads from single offsets end,
 *   serve only acknowledged records at their acknowledged offsets, and read every record the
 *   damage did not touch;
 * - a produce afterwards gets an offset above every offset read; some cases restart once more and
 *   read everything again.
 * Every step is bounded by a timeout. Deterministic: FUZZ_SEED=<n> replays a run.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_MAX_FRAME_BYTES, StrataError, errorDefinition, iterateBatches } from '@strata/protocol';
import { Broker, verifyDataDir } from '../src';
import type { Log } from '../src/storage/log';
import { recordsSection } from '../src/compression';
import { LogManager } from '../src/storage/log-manager';
import { ManualClock } from '../src/util/clock';
import { ManualScheduler } from '../src/util/scheduler';
import { Rng, fuzzSeed } from './helpers/fuzz-random';
import { logConfig } from './helpers/log-config';
import { applyDamage, type Damage } from './helpers/storage-damage';
import { batchRecords, bounded, checkServed, probe, walk, type Expected, type PartitionReader, type ReadResult } from './helpers/storage-check';
import { BROKER_CONFIG, INDEX_INTERVAL_BYTES, SEGMENT_BYTES, TOPICS, buildTemplates, partitionDir, recordId, type FuzzTopic, type Template } from './helpers/storage-template';
import { WireClient, batch } from './helpers/wire-client';

const SEED = fuzzSeed(0x5eed_d15c);
const LOG_CASES = Number(process.env['FUZZ_LOG_CASES'] ?? 2_000);
const BROKER_CASES = 40;
const RESTART_SHARE = 0.1;
const EMPTY = new Uint8Array(0);
/** Timestamp of offset 0 in both template topics; offset o has T0 + o. */
const T0 = 1_700_000_000_000;
const silent = pino({ level: 'silent' });

/** Case folders on tmpfs when there is one: start-up and shutdown fsync every segment. */
function scratchRoot(): string {
  for (const root of ['/dev/shm', tmpdir()]) {
    try {
      return fs.mkdtempSync(join(root, 'strata-fuzz-storage-'));
    } catch {
      // not writable here: try the next
    }
  }
  throw new Error('no writable temporary folder');
}

const configOf = (topic: FuzzTopic) =>
  logConfig(topic === 'st' ? { segmentBytes: SEGMENT_BYTES, indexIntervalBytes: INDEX_INTERVAL_BYTES } : { segmentBytes: 2048, indexIntervalBytes: INDEX_INTERVAL_BYTES, compact: true, delete: false, minCleanableDirtyRatio: 0 });

function logReader(log: Log): PartitionReader {
  return {
    async read(offset, maxBytes, minOneBatch): Promise<ReadResult> {
      try {
        const r = await log.read(offset, maxBytes, minOneBatch);
        return { error: null, records: r.records, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset };
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
        return { error: e.code, records: EMPTY, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
      }
    },
  };
}

/** Loads one partition as the broker does at start-up (checkpoint file, marker, recovery). */
async function openLog(dataDir: string, topic: FuzzTopic): Promise<{ log: Log; logs: LogManager }> {
  const logs = new LogManager({
    dataDir,
    clock: new ManualClock(1_800_000_000_000),
    scheduler: new ManualScheduler(),
    logger: silent,
    maxBatchBytes: DEFAULT_MAX_FRAME_BYTES,
    flushIntervalMs: 3_600_000,
    checkpointIntervalMs: 3_600_000,
    retentionCheckIntervalMs: 3_600_000,
    fileDeleteDelayMs: 0,
    cleanerEnable: false,
    cleanerBackoffMs: 3_600_000,
    cleanerDedupeBufferSize: 1 << 20,
    maxOpenFiles: 1000,
    tailCacheBytes: 0,
    inlineWriteMaxBytes: 0,
  });
  await logs.open();
  const log = await logs.loadLog(topic, 0, configOf(topic));
  await logs.startupComplete();
  return { log, logs };
}

function wireReader(client: WireClient, topic: FuzzTopic): PartitionReader {
  return {
    async read(offset, maxBytes): Promise<ReadResult> {
      const res = await client.request('Fetch', { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, topics: [{ name: topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1 }] }] });
      const p = res.topics[0]!.partitions[0]!;
      return { error: p.errorCode === 0 ? null : errorDefinition(p.errorCode).name, records: p.records, highWatermark: Number(p.highWatermark), logStartOffset: Number(p.logStartOffset) };
    },
  };
}

/** Every record of a partition, read from an undamaged folder. */
async function readEverything(reader: PartitionReader): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let offset = 0;
  for (let r = await reader.read(0, 1 << 20, true); offset < r.highWatermark; r = await reader.read(offset, 1 << 20, true)) {
    if (r.error !== null || r.records.length === 0) throw new Error(`the pristine template does not read at ${offset}: ${r.error ?? 'nothing served'}`);
    for (const view of iterateBatches(r.records)) {
      for (const { offset: o, id } of batchRecords(view)) out.set(o, id);
      offset = view.header.baseOffset + view.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

interface Setup {
  stats: { movedServed: number };
  /** ListOffsets-by-time answers of each pristine partition for timestamps T0 + x, by x. */
  timeAnswers: Map<string, Array<number | null>>;
  root: string;
  templates: Template[];
  /** Pristine records per template and topic. */
  pristine: Map<string, Map<number, string>>;
}

/** The first segment whose damage recovery may truncate along with everything after it. */
function recoveryRegionStart(template: Template, topic: FuzzTopic): number {
  const segments = template.layout[topic];
  if (template.name === 'clean') return segments[segments.length - 1]!.base;
  const checkpoint = JSON.parse(fs.readFileSync(join(template.dir, 'recovery-checkpoint.json'), 'utf8')) as { logs: Record<string, { segment: number } | undefined> };
  return checkpoint.logs[`${topic}-0`]?.segment ?? 0;
}

function expectation(setup: Setup, template: Template, topic: FuzzTopic, damage: Damage): Expected {
  const hit = [...damage.damaged, ...damage.removed];
  const segments = template.layout[topic];
  const batches = segments.flatMap((s) => s.batches);
  let touched = (_offset: number) => false;
  const at = segments.findIndex((s) => s.base === damage.segment);
  if (at >= 0 && (hit.length > 0 || damage.grew)) {
    const segment = segments[at]!;
    const next = segments[at + 1];
    // Garbage after a segment's last batch touches the offsets between the last record before it
    // and the next segment.
    const before = segments.slice(0, at + 1).flatMap((s) => s.batches);
    let from = hit.length > 0 ? Math.min(...hit.map((b) => b.baseOffset)) : (before[before.length - 1]?.lastOffset ?? -1) + 1;
    // A batch whose base offset moved down breaks the offset chain right after the batch before
    // it; when that one left a gap after its own predecessor (compaction), it is as suspect and is
    // not served either (file-records.ts, CorruptBatchError.previousBatch).
    for (const moved of damage.offsetMoved) {
      const i = segment.batches.indexOf(moved);
      const previous = segment.batches[i - 1];
      const beforePrevious = i >= 2 ? segment.batches[i - 2]!.lastOffset : segment.base - 1;
      if (previous && previous.baseOffset !== beforePrevious + 1) from = Math.min(from, previous.baseOffset);
    }
    // Damage in the part recovery scans truncates the log there; elsewhere it is kept, and the rest
    // of its segment may answer CORRUPT_MESSAGE until skip-corrupt.
    const to = segment.base >= recoveryRegionStart(template, topic) || !next ? Infinity : next.base;
    const inRange = (offset: number) => offset >= from && offset < to;
    // A read at an offset without a record (a compaction gap) starts at the next batch.
    touched = (offset) => inRange(offset) || inRange(batches.find((b) => b.lastOffset >= offset)?.baseOffset ?? offset);
  }
  const indexed = segments.findIndex((s) => s.base === damage.indexOf);
  if (indexed >= 0 && topic === 'stc') {
    // An index entry witnesses the base offset of the batch it points at (segment.ts, scanFrom):
    // a batch disagreeing with it is trusted only if it continues the offsets before it. After a
    // compaction gap it does not, so a damaged entry there makes the batch answer CORRUPT_MESSAGE
    // rather than risk serving a moved base offset: in a compacted log, damage to a segment's
    // index may make reads in that segment fail (in the contiguous `st` log it may not).
    const from = segments[indexed]!.base;
    const to = segments[indexed + 1]?.base ?? Infinity;
    touched = (offset) => offset >= from && offset < to;
  }
  const pristine = setup.pristine.get(`${template.name}/${topic}`)!;
  const moved = new Set(damage.offsetMoved.flatMap((b) => [...pristine].filter(([o]) => o >= b.baseOffset && o <= b.lastOffset).map(([, id]) => id)));
  return { pristine, batchBases: batches.map((b) => b.baseOffset), touched, written: new Map(), moved, stats: setup.stats };
}

interface CaseContext {
  label: string;
  topic: FuzzTopic;
  template: Template;
  damage: Damage;
  dir: string;
}

/**
 * Copies a template (a whole broker's folder, or only what loading one partition reads), damages
 * it and checks what offline verification says about it: always when a segment was damaged, and
 * for one case in four otherwise (it must not fail on damaged indexes or checkpoints either).
 */
async function prepareCase(setup: Setup, rng: Rng, i: number, problems: string[], whole: boolean): Promise<CaseContext> {
  const roll = rng.int(100);
  const template = setup.templates[roll < 55 ? 0 : 1]!;
  const dropMarker = roll < 12;
  const topic: FuzzTopic = rng.chance(0.7) ? 'st' : 'stc';
  const dir = join(setup.root, `case-${i}`);
  if (whole) fs.cpSync(template.dir, dir, { recursive: true });
  else {
    fs.cpSync(partitionDir(template.dir, topic), partitionDir(dir, topic), { recursive: true });
    for (const file of ['recovery-checkpoint.json', '.clean-shutdown']) if (fs.existsSync(join(template.dir, file))) fs.copyFileSync(join(template.dir, file), join(dir, file));
  }
  if (dropMarker) fs.rmSync(join(dir, '.clean-shutdown'), { force: true });
  const damage = applyDamage(rng, dir, template, topic);
  const label = `case ${i} (${template.name}${dropMarker ? ' without marker' : ''}, ${topic}-0, ${damage.what})`;
  if (damage.segment !== null || rng.chance(0.25)) {
    const report = await bounded(verifyDataDir(dir), `${label} verify`);
    const found = report.partitions.find((p) => p.partition === `${topic}-0`)?.problems ?? [];
    // The one blind spot: the last batch of a crashed log's tail changed only outside the CRC
    // (its base offset); nothing follows it and no clean shutdown recorded where the log ended.
    const segments = template.layout[topic];
    const tail = segments[segments.length - 1]!.batches.at(-1);
    const clean = fs.existsSync(join(dir, '.clean-shutdown'));
    const mustReport = damage.detectable.filter((b) => clean || b !== tail || !damage.outsideCrcOnly.includes(b));
    if (mustReport.length > 0 && found.length === 0) {
      problems.push(`${label}: verify reported nothing although the batches at offsets ${mustReport.map((b) => b.baseOffset).join(',')} were damaged`);
    }
  }
  return { label, topic, template, damage, dir };
}

/** Offsets to read one by one: around the damage, a few anywhere, the high watermark and past it. */
function probeOffsets(rng: Rng, damage: Damage, hw: number): number[] {
  const hit = [...damage.damaged, ...damage.removed];
  const from = hit.length > 0 ? Math.min(...hit.map((b) => b.baseOffset)) : rng.int(hw + 1);
  const offsets = new Set<number>([hw, hw + 1]);
  for (let o = Math.max(0, from - 2); o < from + 12; o++) offsets.add(o);
  for (let k = 0; k < 6; k++) offsets.add(rng.int(hw + 3));
  return [...offsets];
}

/**
 * ListOffsets by timestamp (the time index's reader) completes and answers an offset inside the
 * log, or CORRUPT_MESSAGE; when only the recovery checkpoint was damaged (or nothing), exactly as
 * before. (A damaged time index may make it answer another offset: the time index is trusted as
 * a hint without being checked against the log.)
 */
const exactOnly = (c: CaseContext) => c.damage.segment === null && c.damage.indexOf === null && !c.damage.what.includes('.timeindex');

async function checkTimeLookup(setup: Setup, log: Log, c: CaseContext, rng: Rng, problems: string[]): Promise<void> {
  const answers = setup.timeAnswers.get(`${c.template.name}/${c.topic}`)!;
  const x = rng.int(answers.length);
  const where = `${c.label} offset for timestamp T0+${x}`;
  try {
    const found = await bounded(log.offsetForTimestamp(T0 + x, recordsSection), where);
    if (exactOnly(c) && (found?.offset ?? null) !== answers[x]) problems.push(`${where}: ${found?.offset ?? 'none'}, before the damage ${answers[x] ?? 'none'}`);
    if (found && (found.offset < log.logStartOffset || found.offset >= log.highWatermark)) problems.push(`${where}: ${found.offset} is outside the log ${log.logStartOffset}..${log.highWatermark}`);
  } catch (e) {
    if (!(e instanceof StrataError) || exactOnly(c)) problems.push(`${where}: ${(e as Error).message}`);
  }
}

async function checkProduce(reader: PartitionReader, produceOne: () => Promise<number>, id: string, read: Iterable<number>, expected: Expected, problems: string[], label: string): Promise<number> {
  const offset = await bounded(produceOne(), `${label} produce`);
  expected.written.set(offset, id);
  const highest = Math.max(-1, ...read);
  if (offset <= highest) problems.push(`${label}: a produce after the damage got offset ${offset}, already readable (read up to ${highest})`);
  const r = await bounded(reader.read(offset, 1 << 20, true), `${label} read after produce`);
  const served = r.error === null ? checkServed(r.records, offset, expected, problems, `${label} read after produce`).offsets : [];
  if (!served.includes(offset)) problems.push(`${label}: the record produced at ${offset} does not read back (${r.error ?? 'no error'})`);
  return offset;
}

async function logCase(setup: Setup, rng: Rng, i: number, problems: string[]): Promise<void> {
  const c = await prepareCase(setup, rng, i, problems, false);
  try {
    await logCaseChecks(setup, rng, i, problems, c);
  } catch (e) {
    problems.push(`${c.label}: ${(e as Error).stack ?? String(e)}`);
  }
}

async function logCaseChecks(setup: Setup, rng: Rng, i: number, problems: string[], c: CaseContext): Promise<void> {
  const expected = expectation(setup, c.template, c.topic, c.damage);
  let opened = await bounded(openLog(c.dir, c.topic), `${c.label} start-up`);
  try {
    const reader = logReader(opened.log);
    const read = await walk(reader, expected, rng, problems, c.label);
    const served = await probe(reader, probeOffsets(rng, c.damage, opened.log.highWatermark), expected, rng, problems, c.label);
    const log = opened.log;
    await checkTimeLookup(setup, log, c, rng, problems);
    const id = recordId(Buffer.from('after'), Buffer.from(`after-${i}`));
    const produced = await checkProduce(
      reader,
      async () => {
        const r = log.append([...iterateBatches(batch([{ key: 'after', value: `after-${i}` }]))], 0);
        await log.waitWritten(r.endOffset);
        return r.baseOffset;
      },
      id,
      [...read, ...served],
      expected,
      problems,
      c.label,
    );
    if (rng.chance(RESTART_SHARE)) {
      await bounded(opened.logs.shutdown(), `${c.label} shutdown`);
      opened = await bounded(openLog(c.dir, c.topic), `${c.label} second start-up`);
      const again = await walk(logReader(opened.log), expected, rng, problems, `${c.label} after a restart`);
      const lost = [...read, produced].filter((o) => !again.has(o) && (o === produced || !expected.touched(o)));
      if (lost.length > 0) problems.push(`${c.label}: offsets ${lost.slice(0, 5).join(',')} read before a restart are gone after it`);
    }
  } finally {
    await bounded(opened.logs.shutdown(), `${c.label} shutdown`);
    fs.rmSync(c.dir, { recursive: true, force: true });
  }
}

async function brokerCase(setup: Setup, rng: Rng, i: number, problems: string[]): Promise<void> {
  const c = await prepareCase(setup, rng, i, problems, true);
  try {
    await brokerCaseChecks(setup, rng, i, problems, c);
  } catch (e) {
    problems.push(`${c.label}: ${(e as Error).stack ?? String(e)}`);
  }
}

async function brokerCaseChecks(setup: Setup, rng: Rng, i: number, problems: string[], c: CaseContext): Promise<void> {
  const expected = expectation(setup, c.template, c.topic, c.damage);
  const broker = await bounded(Broker.start({ dataDir: c.dir, port: 0, config: BROKER_CONFIG }), `${c.label} broker start-up`);
  try {
    const client = await WireClient.connect(broker.url);
    const reader = wireReader(client, c.topic);
    const read = await walk(reader, expected, rng, problems, c.label);
    const hw = (await reader.read(0, 1, false)).highWatermark;
    const served = await probe(reader, probeOffsets(rng, c.damage, hw), expected, rng, problems, c.label);
    const id = recordId(Buffer.from('after'), Buffer.from(`after-${i}`));
    const produceOne = async () => {
      const res = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: c.topic, partitions: [{ partition: 0, records: batch([{ key: 'after', value: `after-${i}` }]) }] }] });
      const p = res.topics[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`produce after the damage failed: ${errorDefinition(p.errorCode).name} ${p.errorMessage}`);
      return Number(p.baseOffset);
    };
    await checkProduce(reader, produceOne, id, [...read, ...served], expected, problems, c.label);
    await client.close();
  } finally {
    await bounded(broker.close(), `${c.label} broker shutdown`);
    fs.rmSync(c.dir, { recursive: true, force: true });
  }
}

/** FUZZ_CASE=<i> runs that case alone (each case has its own generator, seeded from the run's). */
const ONLY_CASE = process.env['FUZZ_CASE'] === undefined ? null : Number(process.env['FUZZ_CASE']);

async function runCases(setup: Setup, count: number, seed: number, one: typeof logCase): Promise<{ problems: string[]; seconds: number }> {
  const problems: string[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    if (ONLY_CASE !== null && i !== ONLY_CASE) continue;
    const before = problems.length;
    const caseStarted = Date.now();
    try {
      await one(setup, new Rng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0), i, problems);
    } catch (e) {
      problems.push(`case ${i}: ${(e as Error).stack ?? String(e)}`);
    }
    if (process.env['FUZZ_VERBOSE']) for (const p of problems.slice(before)) process.stdout.write(`${p}\n`);
    if (process.env['FUZZ_VERBOSE'] && Date.now() - caseStarted > 200) process.stdout.write(`slow case ${i}: ${Date.now() - caseStarted} ms\n`);
    if (problems.length > before && problems.length > 20) break;
  }
  return { problems, seconds: (Date.now() - started) / 1000 };
}

function report(what: string, count: number, seed: number, result: { problems: string[]; seconds: number }, stats: Setup['stats']): void {
  process.stdout.write(`storage fuzzer (${what}): ${ONLY_CASE === null ? count : `case ${ONLY_CASE} of ${count}`} cases (seed ${seed}) in ${result.seconds.toFixed(1)} s, ${result.problems.length} problems; records served at a damaged base offset so far: ${stats.movedServed}\n`);
  if (result.problems.length > 0) throw new Error(`storage fuzzer, ${what} (FUZZ_SEED=${SEED} replays it): ${result.problems.length} problems:\n${result.problems.slice(0, 10).join('\n')}`);
}

describe('storage fuzzer: damaged data folders', () => {
  const setup: Setup = { root: '', templates: [], pristine: new Map(), timeAnswers: new Map(), stats: { movedServed: 0 } };

  beforeAll(async () => {
    setup.root = scratchRoot();
    setup.templates = await buildTemplates(join(setup.root, 'templates'), SEED);
    for (const template of setup.templates) {
      for (const topic of TOPICS) {
        const dir = join(setup.root, `pristine-${template.name}`);
        fs.cpSync(template.dir, dir, { recursive: true });
        const { log, logs } = await openLog(dir, topic);
        const records = await readEverything(logReader(log));
        setup.pristine.set(`${template.name}/${topic}`, records);
        const answers: Array<number | null> = [];
        for (let x = 0; x <= Math.max(...records.keys()) + 2; x++) answers.push((await log.offsetForTimestamp(T0 + x, recordsSection))?.offset ?? null);
        setup.timeAnswers.set(`${template.name}/${topic}`, answers);
        await logs.shutdown();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);

  afterAll(() => fs.rmSync(setup.root, { recursive: true, force: true }));

  it('the pristine folders hold every acknowledged record at its offset', () => {
    for (const template of setup.templates) {
      expect(setup.pristine.get(`${template.name}/st`)).toEqual(template.acknowledged.st);
      // Compaction kept the latest record of each key, at its acknowledged offset.
      const compacted = setup.pristine.get(`${template.name}/stc`)!;
      for (const [offset, id] of compacted) expect(template.acknowledged.stc.get(offset)).toBe(id);
      expect(compacted.size).toBeLessThan(template.acknowledged.stc.size);
      expect(template.layout.st.length).toBeGreaterThan(5);
    }
  });

  it(`survives ${LOG_CASES} damaged folders loaded as the broker loads a partition`, async () => {
    report('partition loads', LOG_CASES, SEED, await runCases(setup, LOG_CASES, SEED, logCase), setup.stats);
  }, 240_000);

  it(`survives ${BROKER_CASES} damaged folders under a whole broker`, async () => {
    report('whole broker', BROKER_CASES, SEED + 1, await runCases(setup, BROKER_CASES, SEED + 1, brokerCase), setup.stats);
  }, 240_000);
});
