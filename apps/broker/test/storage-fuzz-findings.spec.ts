/**
 * Regressions for the bugs the storage fuzzer (fuzz-storage.spec.ts) found, one focused case each:
 * a garbled recovery checkpoint stopping start-up, a lying recovery point moving the log end, a
 * damaged index entry hiding intact batches, a damaged first batch stopping start-up, base
 * offsets (outside the CRC) moved so that records were served at wrong offsets or moved the log
 * end, and ListOffsets by time missing the batches just before a recovery point.
 */
import fs = require('node:fs');
import { join } from 'node:path';
import pino from 'pino';
import { BATCH_HEADER_SIZE, BatchField, ErrorCode, StrataError, decodeRecords, iterateBatches } from '@strata/protocol';
import { loadLog, type RecoveryPoint } from '../src/storage/log-loader';
import { parseCheckpoints } from '../src/storage/log-manager';
import { scanSegment } from '../src/storage/segment-scan';
import { verifyDataDir } from '../src/storage/verify';
import type { Log } from '../src/storage/log';
import { ManualClock } from '../src/util/clock';
import { logConfig } from './helpers/log-config';
import { tempDir } from './helpers/tmp';
import { batch } from './helpers/wire-client';

const logger = pino({ level: 'silent' });
const config = logConfig({ segmentBytes: 4096, indexIntervalBytes: 256 });

function open(dir: string, recoveryPoint: RecoveryPoint | null = null, cleanShutdown = false) {
  return loadLog({ dir, topic: 't', partition: 0, config, clock: new ManualClock(), logger, recoveryPoint, cleanShutdown, maxBatchBytes: 1 << 20 });
}

/** `batches` batches of two records, values naming their offsets. */
async function fill(log: Log, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const o = log.logEndOffset;
    const r = log.append([...iterateBatches(batch([{ key: `k${o}`, value: `v${o}-${'x'.repeat(60)}` }, { key: `k${o + 1}`, value: `v${o + 1}-${'x'.repeat(60)}` }]))], 0);
    await log.waitWritten(r.endOffset);
  }
}

/** Reads one offset: the offsets and values served, or the error code. */
async function readAt(log: Log, offset: number): Promise<{ error: number | null; records: Array<[number, string]> }> {
  try {
    const r = await log.read(offset, 1 << 20, true);
    const records = [...iterateBatches(r.records)].flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header).map((x): [number, string] => [x.offset, Buffer.from(x.value!).toString().split('-')[0]!]));
    return { error: null, records };
  } catch (e) {
    if (!(e instanceof StrataError)) throw e;
    return { error: e.errorCode, records: [] };
  }
}

/** Every record served from every offset below the high watermark is the one written there. */
async function expectNoWrongOffsets(log: Log): Promise<void> {
  for (let o = 0; o < log.highWatermark; o++) {
    for (const [offset, value] of (await readAt(log, o)).records) expect(value).toBe(`v${offset}`);
  }
}

function segmentFiles(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(suffix))
    .sort()
    .map((n) => join(dir, n));
}

describe('storage fuzzer findings', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('drops recovery points of a garbled checkpoint file instead of failing start-up', () => {
    expect(parseCheckpoints('{"version":1,"logs":null}', logger)).toEqual({});
    expect(parseCheckpoints('{"version":1,"logs":', logger)).toEqual({});
    expect(parseCheckpoints('null', logger)).toEqual({});
    const points = parseCheckpoints('{"version":1,"logs":{"a-0":{"offset":5,"segment":0,"position":100},"b-0":{"offset":5,"segment":0,"position":-1},"c-0":5,"d-0":{"offset":"x","segment":0,"position":0}}}', logger);
    expect(points).toEqual({ 'a-0': { offset: 5, segment: 0, position: 100 } });
  });

  it.each([-7, -1, 1, 9])('takes the log end from the batches, not from a recovery point whose offset is off by %i', async (lie) => {
    const { log } = await open(dir);
    await fill(log, 10);
    const point = await log.checkpoint();
    await log.close();
    const { log: reopened } = await open(dir, { ...point, offset: point.offset + lie });
    expect(reopened.logEndOffset).toBe(20);
    expect((await readAt(reopened, 19)).records.map(([o]) => o)).toEqual([18, 19]);
    const appended = reopened.append([...iterateBatches(batch([{ key: 'k20', value: 'v20' }]))], 0);
    expect(appended.baseOffset).toBe(20); // never an offset already readable, never a gap
    await reopened.waitWritten(appended.endOffset);
    await expectNoWrongOffsets(reopened);
    await reopened.close();
  });

  it('reads intact batches past a damaged offset-index entry', async () => {
    const { log } = await open(dir);
    await fill(log, 60); // several segments, each with several index entries
    await log.close();
    const index = segmentFiles(dir, '.index')[0]!;
    const bytes = fs.readFileSync(index);
    expect(bytes.length).toBeGreaterThanOrEqual(24);
    bytes.writeUInt32BE(bytes.readUInt32BE(12) + 1, 12); // entry 1 now points one byte into a batch
    fs.writeFileSync(index, bytes);
    const { log: reopened } = await open(dir, null, true);
    for (let o = 0; o < reopened.highWatermark; o++) {
      const r = await readAt(reopened, o);
      expect(r.error).toBeNull();
      expect(r.records.some(([offset]) => offset === o)).toBe(true);
    }
    await reopened.close();
  });

  it('starts although the first batch of the segment holding the recovery point is damaged', async () => {
    const { log } = await open(dir);
    await fill(log, 10);
    const point = await log.checkpoint();
    await fill(log, 2);
    await log.close();
    const active = segmentFiles(dir, '.log').pop()!;
    const bytes = fs.readFileSync(active);
    bytes[BatchField.MAGIC] = 0;
    fs.writeFileSync(active, bytes);
    const { log: reopened } = await open(dir, point);
    expect(reopened.logEndOffset).toBe(24);
    expect((await readAt(reopened, point.offset)).error).toBeNull();
    await reopened.close();
  });

  it('does not move the log end with the only batch of a cleanly closed active segment whose base offset moved', async () => {
    const { log } = await open(dir);
    await fill(log, 30);
    log.roll();
    await fill(log, 1); // the active segment holds one batch, 60..61, indexed at position 0
    await log.close();
    const active = segmentFiles(dir, '.log').pop()!;
    const bytes = fs.readFileSync(active);
    bytes.writeUInt32BE(1060, BatchField.BASE_OFFSET + 4); // outside the CRC; nothing after it to disagree
    fs.writeFileSync(active, bytes);
    const { log: reopened } = await open(dir, null, true);
    expect(reopened.logEndOffset).toBe(60); // the index entry (60 at 0) witnesses the batch is not 1060
    await expectNoWrongOffsets(reopened);
    await reopened.close();
  });

  it('keeps the log end a clean shutdown recorded when the last batch claims more, and verify reports it', async () => {
    const part = join(dir, 't-0');
    const { log } = await open(part);
    await fill(log, 10);
    await log.close();
    const point = { offset: 20, segment: 0, position: fs.statSync(join(part, '00000000000000000000.log')).size };
    fs.writeFileSync(join(dir, '.clean-shutdown'), '');
    fs.writeFileSync(join(dir, 'recovery-checkpoint.json'), JSON.stringify({ version: 1, logs: { 't-0': point } }));
    const active = segmentFiles(part, '.log').pop()!;
    const bytes = fs.readFileSync(active);
    const last = [...iterateBatches(bytes)].pop()!;
    expect(last.header.baseOffset).toBe(18);
    bytes.writeUInt32BE(19, last.position + BatchField.BASE_OFFSET + 4); // 18..19 now claims 19..20
    fs.writeFileSync(active, bytes);
    const report = await verifyDataDir(dir);
    expect(report.partitions[0]!.problems.map((p) => p.detail).join()).toMatch(/recorded 20/);
    const { log: reopened } = await open(part, point, true);
    expect(reopened.logEndOffset).toBe(18);
    await expectNoWrongOffsets(reopened);
    await reopened.close();
  });

  it('answers ListOffsets by time for the batches between the last time-index entry and the recovery point', async () => {
    const { log } = await open(dir);
    for (let o = 0; o < 4; o += 2) {
      const r = log.append([...iterateBatches(batch([{ value: `v${o}`, timestamp: 1000 + o }, { value: `v${o + 1}`, timestamp: 1001 + o }]))], 0);
      await log.waitWritten(r.endOffset);
    }
    const point = await log.checkpoint(); // two batches, one index entry (at 0)
    await log.close();
    const { log: reopened } = await open(dir, point); // unclean: recovery starts at the point
    expect(await reopened.offsetForTimestamp(1003, (b) => b.subarray(BATCH_HEADER_SIZE))).toEqual({ offset: 3, timestamp: 1003 });
    await reopened.close();
  });

  it('never serves a batch whose base offset was moved up by one, in a closed segment or in the recovered tail', async () => {
    const { log } = await open(dir);
    await fill(log, 40);
    await log.close();
    const closed = segmentFiles(dir, '.log')[0]!;
    const bytes = fs.readFileSync(closed);
    const victim = [...iterateBatches(bytes)][3]!;
    expect(victim.header.baseOffset).toBe(6);
    bytes.writeUInt32BE(7, victim.position + BatchField.BASE_OFFSET + 4); // 6..7 now claims 7..8; the next batch starts at 8
    fs.writeFileSync(closed, bytes);

    // Offline verification (and so skip-corrupt) does not keep it either, and keeps the batch after it.
    const scan = await scanSegment(closed, { baseOffset: 0, offsetLimit: Number.MAX_SAFE_INTEGER, maxBatchBytes: 1 << 20 });
    expect(scan.damaged.map((d) => d.fromPosition)).toEqual([victim.position]);
    expect(scan.good.map((b) => b.header.baseOffset)).not.toContain(7);
    expect(scan.good.map((b) => b.header.baseOffset)).toContain(8);

    // A clean start keeps the closed segment: its damaged range answers CORRUPT_MESSAGE.
    const { log: clean } = await open(dir, null, true);
    await expectNoWrongOffsets(clean);
    expect((await readAt(clean, 6)).error).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await readAt(clean, 5)).records.map(([o]) => o)).toEqual([4, 5]);
    await clean.close();
    fs.rmSync(join(dir, '.clean-shutdown'), { force: true });

    // Recovering the whole log (no checkpoint) cuts the log before the moved batch.
    const { log: recovered } = await open(dir);
    expect(recovered.logEndOffset).toBe(6);
    await expectNoWrongOffsets(recovered);
    await recovered.close();
  });
});
