/**
 * Pristine data folders for the storage fuzzer, written by a real broker once per run and copied
 * for every case:
 * - `clean`: a broker stopped cleanly (`.clean-shutdown` marker, recovery points at the log ends);
 * - `unclean`: the same folder copied while a restarted broker was writing more (no marker, the
 *   recovery points of the previous start, indexes of the active segments not flushed): what a
 *   crash leaves.
 * Topic `st` (delete policy) holds batches of 1-4 records, uncompressed, gzip, snappy and zstd, in
 * 4 KiB segments with an index entry every 512 bytes; topic `stc` (compact) holds keyed records,
 * tombstones among them, compacted once (so its segments have offset gaps).
 * The layout of each template's segment files (batch positions and offsets) is recorded so a case
 * can say which batches a damage touched.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { iterateBatches } from '@strata/protocol';
import { Broker } from '../../src';
import { batchModel, build, type RecordSpec } from './batch-forge';
import { Rng } from './fuzz-random';
import { WireClient, createTopic } from './wire-client';

export const TOPICS = ['st', 'stc'] as const;
export type FuzzTopic = (typeof TOPICS)[number];
export const SEGMENT_BYTES = 4096;
export const INDEX_INTERVAL_BYTES = 512;
export const BROKER_CONFIG = { 'log.cleaner.enable': false, 'log.level': 'silent', 'log.recovery.checkpoint.interval.ms': 3_600_000, 'log.flush.interval.ms': 3_600_000, 'file.delete.delay.ms': 0 } as const;

export interface StoredBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
}

export interface SegmentLayout {
  base: number;
  file: string;
  bytes: Buffer;
  batches: StoredBatch[];
}

export interface Template {
  name: 'clean' | 'unclean';
  dir: string;
  /** Segments of each topic's partition 0, by base offset. */
  layout: Record<FuzzTopic, SegmentLayout[]>;
  /** Offset -> "key|value" of every record acknowledged (for `st`; `stc` is compacted since). */
  acknowledged: Record<FuzzTopic, Map<number, string>>;
}

export function recordId(key: Uint8Array | null, value: Uint8Array | null): string {
  return `${key === null ? '<null>' : Buffer.from(key).toString('latin1')}|${value === null ? '<null>' : Buffer.from(value).toString('latin1')}`;
}

export function partitionDir(dataDir: string, topic: FuzzTopic): string {
  return join(dataDir, `${topic}-0`);
}

export function readLayout(dataDir: string, topic: FuzzTopic): SegmentLayout[] {
  const dir = partitionDir(dataDir, topic);
  return fs
    .readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(join(dir, name));
      const batches = [...iterateBatches(bytes)].map((b) => ({ position: b.position, size: b.bytes.length, baseOffset: b.header.baseOffset, lastOffset: b.header.baseOffset + b.header.lastOffsetDelta }));
      return { base: Number(name.slice(0, 20)), file: name, bytes, batches };
    });
}

async function produce(client: WireClient, topic: string, records: Uint8Array): Promise<number> {
  const res = await client.request('Produce', { acks: -1, timeoutMs: 10_000, topics: [{ name: topic, partitions: [{ partition: 0, records }] }] });
  const p = res.topics[0]!.partitions[0]!;
  if (p.errorCode !== 0) throw new Error(`template produce to ${topic} failed: ${p.errorCode} ${p.errorMessage}`);
  return Number(p.baseOffset);
}

/** Writes `batches` batches to each topic, remembering what was acknowledged at which offset. */
async function write(client: WireClient, rng: Rng, batches: number, acknowledged: Template['acknowledged']): Promise<void> {
  const enc = new TextEncoder();
  for (let i = 0; i < batches; i++) {
    const n = acknowledged.st.size;
    const specs: RecordSpec[] = Array.from({ length: rng.range(1, 4) }, (_, k) => ({
      timestampDelta: k,
      key: enc.encode(`k${n + k}`),
      value: enc.encode(`st-${n + k}-${'x'.repeat(rng.range(20, 150))}`),
      headers: rng.chance(0.3) ? [{ key: enc.encode('h'), value: enc.encode(String(n + k)) }] : [],
    }));
    const base = await produce(client, 'st', build(batchModel(specs, rng.pick([0, 0, 1, 2, 4]), 1_700_000_000_000 + n)));
    specs.forEach((s, k) => acknowledged.st.set(base + k, recordId(s.key, s.value)));
    if (i % 2 === 0) {
      const m = acknowledged.stc.size;
      const key = enc.encode(`key-${rng.int(12)}`);
      const value = rng.chance(0.1) ? null : enc.encode(`stc-${m}-${'y'.repeat(rng.range(40, 120))}`);
      const offset = await produce(client, 'stc', build(batchModel([{ timestampDelta: 0, key, value, headers: [] }], 0, 1_700_000_000_000 + m)));
      acknowledged.stc.set(offset, recordId(key, value));
    }
  }
}

/** Builds both templates under `root`. */
export async function buildTemplates(root: string, seed: number): Promise<Template[]> {
  const rng = new Rng(seed);
  const live = join(root, 'live');
  const acknowledged: Template['acknowledged'] = { st: new Map(), stc: new Map() };
  let broker = await Broker.start({ dataDir: live, port: 0, config: BROKER_CONFIG });
  let client = await WireClient.connect(broker.url);
  await createTopic(client, 'st', 1, { 'segment.bytes': String(SEGMENT_BYTES), 'index.interval.bytes': String(INDEX_INTERVAL_BYTES) });
  await createTopic(client, 'stc', 1, { 'segment.bytes': '2048', 'index.interval.bytes': String(INDEX_INTERVAL_BYTES), 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
  await write(client, rng, 90, acknowledged);
  await broker.logs.cleaner.cleanLog(broker.topics.get('stc')!.partitions[0]!.log);
  await client.close();
  await broker.close();
  const clean = join(root, 'clean');
  fs.cpSync(live, clean, { recursive: true });
  const cleanAck = { st: new Map(acknowledged.st), stc: new Map(acknowledged.stc) };

  broker = await Broker.start({ dataDir: live, port: 0, config: BROKER_CONFIG });
  client = await WireClient.connect(broker.url);
  await write(client, rng, 30, acknowledged);
  const unclean = join(root, 'unclean');
  fs.cpSync(live, unclean, { recursive: true });
  // A crashed broker's lock names a dead process; this one names the test's own.
  fs.rmSync(join(unclean, '.lock'), { force: true });
  await client.close();
  await broker.close();

  return [
    { name: 'clean', dir: clean, layout: { st: readLayout(clean, 'st'), stc: readLayout(clean, 'stc') }, acknowledged: cleanAck },
    { name: 'unclean', dir: unclean, layout: { st: readLayout(unclean, 'st'), stc: readLayout(unclean, 'stc') }, acknowledged },
  ];
}
