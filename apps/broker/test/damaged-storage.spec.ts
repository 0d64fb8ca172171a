/**
 * Finding 2 of the hardening issue: damaged segments. A torn active segment after a clean
 * shutdown made a fetch spin forever; a rewritten base offset was served as is; a damaged batch in
 * a closed segment blocked consumers with nothing in the log. Now the tail is verified at every
 * start-up, reads check offsets and CRCs and report the file and position once, and an operator
 * can move consumers past the damage (SkipCorrupt, `strata partitions skip-corrupt`).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { BATCH_HEADER_SIZE, BatchField, decodeRecords, iterateBatches } from '@strata/protocol';
import { Broker } from '../src';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

const TOPIC = 'damaged';

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

interface FetchResult {
  errorCode: number;
  errorMessage: string;
  offsets: number[];
  values: string[];
  highWatermark: number;
}

async function fetchFrom(client: WireClient, offset: number, maxBytes = 1 << 20): Promise<FetchResult> {
  const res = await client.request('Fetch', { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, topics: [{ name: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes, currentLeaderEpoch: -1 }] }] });
  const p = res.topics[0]!.partitions[0]!;
  const out: FetchResult = { errorCode: p.errorCode, errorMessage: p.errorMessage, offsets: [], values: [], highWatermark: Number(p.highWatermark) };
  for (const { header, bytes } of iterateBatches(p.records)) {
    for (const r of decodeRecords(bytes.subarray(BATCH_HEADER_SIZE), header)) {
      out.offsets.push(r.offset);
      out.values.push(Buffer.from(r.value!).toString());
    }
  }
  return out;
}

/** Reads every offset from `from` on, one fetch at a time, until the high watermark or an error. */
async function readAll(client: WireClient, from = 0): Promise<{ offsets: number[]; error: FetchResult | null }> {
  const offsets: number[] = [];
  let next = from;
  for (let i = 0; i < 10_000; i++) {
    const r = await fetchFrom(client, next, 4096);
    if (r.errorCode !== 0) return { offsets, error: r };
    const fresh = r.offsets.filter((o) => o >= next);
    if (fresh.length === 0) return { offsets, error: null };
    offsets.push(...fresh);
    next = fresh[fresh.length - 1]! + 1;
  }
  throw new Error('read did not end');
}

function segmentFiles(dir: string): string[] {
  const part = join(dir, `${TOPIC}-0`);
  return fs
    .readdirSync(part)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort()
    .map((n) => join(part, n));
}

/** Batch positions and base offsets of a segment file. */
function batchesOf(file: string): Array<{ position: number; size: number; baseOffset: number }> {
  const bytes = fs.readFileSync(file);
  return [...iterateBatches(bytes, { validate: false })].map((b) => ({ position: b.position, size: b.bytes.length, baseOffset: b.header.baseOffset }));
}

describe('damaged storage (hardening finding 2)', () => {
  let dir: string;
  let cleanup: () => void;
  let broker: Broker;
  let client: WireClient;
  const captured = capturingLogger();

  const start = async () => {
    broker = await Broker.start({ dataDir: dir, port: 0, logger: captured.logger, config: { 'log.segment.bytes': 8192, 'file.delete.delay.ms': 0, 'log.cleaner.enable': false } });
    client = await WireClient.connect(broker.url);
  };
  const stop = async () => {
    await client.close();
    await broker.close();
  };

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    captured.lines.length = 0;
    await start();
    await createTopic(client, TOPIC);
    // 60 batches of one 200-byte record: several closed segments and an active one.
    for (let i = 0; i < 60; i++) await produce(client, TOPIC, 0, [{ key: `k${i}`, value: `v${i}-${'x'.repeat(200)}` }]);
  });

  afterEach(async () => {
    await stop().catch(() => undefined);
    cleanup();
  });

  it('truncates an active segment torn inside a batch at start-up although the broker had stopped cleanly, and a fetch there answers', async () => {
    await stop();
    const files = segmentFiles(dir);
    const active = files[files.length - 1]!;
    const batches = batchesOf(active);
    const last = batches[batches.length - 1]!;
    fs.truncateSync(active, last.position + Math.floor(last.size / 2));
    await start();
    const all = await readAll(client);
    expect(all.error).toBeNull();
    expect(all.offsets).toEqual(Array.from({ length: last.baseOffset }, (_, i) => i));
    // The torn batch's offset is assigned again, to the next record produced.
    expect(await produce(client, TOPIC, 0, [{ value: 'after' }])).toBe(last.baseOffset);
    expect(captured.lines.some((l) => String(l['msg']).includes('changed size after a clean shutdown'))).toBe(true);
  });

  it('detects a damaged tail batch whose file size did not change, even after a clean shutdown', async () => {
    await stop();
    const files = segmentFiles(dir);
    const active = files[files.length - 1]!;
    const last = batchesOf(active).pop()!;
    const bytes = fs.readFileSync(active);
    bytes[last.position + last.size - 3] = bytes[last.position + last.size - 3]! ^ 0x55; // inside the last record: the CRC no longer matches
    fs.writeFileSync(active, bytes);
    await start();
    expect((await readAll(client)).offsets).toEqual(Array.from({ length: last.baseOffset }, (_, i) => i));
    expect(captured.lines.some((l) => String(l['msg']).includes('log tail is damaged although the broker stopped cleanly'))).toBe(true);
  });

  it('never serves a rewritten base offset: the read fails with CORRUPT_MESSAGE and the broker logs the file', async () => {
    await stop();
    const closed = segmentFiles(dir)[1]!;
    const batches = batchesOf(closed);
    const victim = batches[Math.floor(batches.length / 2)]!;
    const bytes = fs.readFileSync(closed);
    new DataView(bytes.buffer, bytes.byteOffset).setInt32(victim.position + BatchField.BASE_OFFSET + 4, victim.baseOffset + 1000); // outside the CRC
    fs.writeFileSync(closed, bytes);
    await start();
    const r = await fetchFrom(client, victim.baseOffset);
    expect(r.errorCode).toBe(2); // CORRUPT_MESSAGE
    expect(r.errorMessage).toMatch(/skip-corrupt/);
    expect(r.offsets).toEqual([]); // nothing at a wrong offset
    const logged = captured.lines.find((l) => l['file'] === closed);
    expect(logged).toMatchObject({ position: victim.position });
    expect(String(logged!['reason'])).toMatch(/base offset|offsets/);
    // Everything before the damaged batch is still readable.
    const before = await readAll(client);
    expect(before.offsets).toEqual(Array.from({ length: victim.baseOffset }, (_, i) => i));
    expect(before.error?.errorCode).toBe(2);
  });

  it('skip-corrupt on a partition that was never written scans it and repairs nothing', async () => {
    await createTopic(client, 'never-written', 2);
    const res = await client.request('SkipCorrupt', { topics: [{ name: 'never-written', partitions: [0, 1] }] });
    expect(res.topics[0]!.partitions.map((p) => [p.partition, p.errorCode, p.repairedSegments, p.lost.length])).toEqual([
      [0, 0, 0, 0],
      [1, 0, 0, 0],
    ]);
    expect(await produce(client, 'never-written', 1, [{ value: 'first' }])).toBe(0);
  });

  it('reports a bit flipped in a closed segment once, keeps other ranges readable, and skip-corrupt moves consumers past it', async () => {
    await stop();
    const closed = segmentFiles(dir)[1]!;
    const batches = batchesOf(closed);
    const victim = batches[2]!;
    const bytes = fs.readFileSync(closed);
    bytes[victim.position + BATCH_HEADER_SIZE + 10] = bytes[victim.position + BATCH_HEADER_SIZE + 10]! ^ 0x01;
    fs.writeFileSync(closed, bytes);
    await start();
    const firstTry = await readAll(client);
    expect(firstTry.offsets).toEqual(Array.from({ length: victim.baseOffset }, (_, i) => i));
    expect(firstTry.error?.errorCode).toBe(2);
    await fetchFrom(client, victim.baseOffset); // asked again: reported once only
    expect(captured.lines.filter((l) => l['file'] === closed)).toHaveLength(1);
    const metrics = await broker.metrics.registry.getSingleMetricAsString('strata_corrupt_batches_total');
    expect(metrics).toMatch(/strata_corrupt_batches_total 1/);

    const res = await client.request('SkipCorrupt', { topics: [{ name: TOPIC, partitions: [0] }] });
    const report = res.topics[0]!.partitions[0]!;
    expect(report.errorCode).toBe(0);
    expect(report.repairedSegments).toBe(1);
    expect(report.lost.map((l) => [Number(l.fromOffset), Number(l.toOffset)])).toEqual([[victim.baseOffset, victim.baseOffset]]);
    const after = await readAll(client);
    expect(after.error).toBeNull();
    expect(after.offsets).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((o) => o !== victim.baseOffset));
    // The damaged original is kept for forensics; the repair survives a restart.
    expect(fs.readdirSync(join(dir, `${TOPIC}-0`)).some((n) => n.includes('.log.corrupt-'))).toBe(true);
    await stop();
    await start();
    expect((await readAll(client)).offsets).toHaveLength(59);
    expect(await produce(client, TOPIC, 0, [{ value: 'more' }])).toBe(60);
  });
});
