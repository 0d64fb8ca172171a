/**
 * Structure-aware batch fuzzer (hardening issue, "Proof"): thousands of produced batches, valid
 * or carrying one or two precise lies (helpers/batch-mutations.ts) — most under a re-sealed CRC so
 * that only a look inside can catch them, some inside gzip/snappy/zstd payloads — are sent to a
 * live broker, many per request and several requests in flight.
 *
 * Each answer is compared with an independent oracle (helpers/batch-oracle.ts): a batch the spec
 * allows is accepted, any other is refused with the code the spec names (CORRUPT_MESSAGE for
 * framing and CRC, MESSAGE_TOO_LARGE, INVALID_RECORD for lies inside) and nothing of it is
 * written. Afterwards every partition reads back from offset 0 to its high watermark: exactly the
 * accepted batches, byte for byte, at the offsets acknowledged, each decodable by the protocol's
 * decodeRecords — no consumer is ever poisoned. Every request is bounded by a timeout.
 *
 * Deterministic: FUZZ_SEED=<n> replays a run (the seed is printed with any failure).
 */
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { uncompressSync as snappyUncompress } from 'snappy';
import { BATCH_HEADER_SIZE, DEFAULT_MAX_FRAME_BYTES, decodeRecords, errorDefinition, iterateBatches, type BatchView } from '@strata/protocol';
import { Broker } from '../src';
import { judge, type OracleOptions, type Verdict } from './helpers/batch-oracle';
import { fuzzCase, type FuzzCase } from './helpers/batch-mutations';
import { Rng, fuzzSeed } from './helpers/fuzz-random';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic } from './helpers/wire-client';

const SEED = fuzzSeed(0x5eed_ba7c);
const CASES = 8_000;
const CONNECTIONS = 2;
const IN_FLIGHT_PER_CONNECTION = 4;
const REQUEST_TIMEOUT_MS = 15_000;
/** Codes an idempotent batch (a producer id lie) may also get: the sequence rules refuse it. */
const SEQUENCE_CODES = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'DUPLICATE_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'INVALID_RECORD']);

interface Target {
  topic: string;
  partition: number;
  oracle: OracleOptions;
}

const base = { maxUncompressedBytes: DEFAULT_MAX_FRAME_BYTES, maxBatchBytes: 1048588, requireKeys: false };
const TARGETS: Target[] = [
  ...Array.from({ length: 6 }, (_, p) => ({ topic: 'fz', partition: p, oracle: base })),
  { topic: 'fz-small', partition: 0, oracle: { ...base, maxBatchBytes: 2048 } },
  { topic: 'fz-keyed', partition: 0, oracle: { ...base, requireKeys: true } },
];

interface Sent extends FuzzCase {
  id: number;
  target: Target;
  verdict: Verdict;
}

interface Accepted {
  sent: Sent;
  baseOffset: number;
}

const key = (t: Target) => `${t.topic}-${t.partition}`;

function describe_(c: Sent): string {
  return `case ${c.id} (${key(c.target)}; ${c.mutations.join('; ') || 'no mutation'}; oracle ${c.verdict.ok ? 'accept' : `${c.verdict.code}: ${c.verdict.reason}`}; ${Buffer.from(c.records.subarray(0, 160)).toString('hex')})`;
}

function isIdempotent(records: Uint8Array): boolean {
  return [...iterateBatches(records)].some((b) => b.header.producerId >= 0);
}

function decompressed(view: BatchView): Uint8Array {
  const payload = view.bytes.subarray(BATCH_HEADER_SIZE);
  switch (view.header.attributes & 7) {
    case 0:
      return payload;
    case 1:
      return gunzipSync(payload);
    case 2:
      return snappyUncompress(payload) as Buffer;
    case 4:
      return zstdDecompress(payload);
    default:
      throw new Error(`codec ${view.header.attributes & 7} stored`);
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Reads a partition from offset 0 to its high watermark and checks it holds exactly `accepted`. */
async function checkPartition(client: WireClient, target: Target, accepted: Accepted[], problems: string[]): Promise<number> {
  const expected = new Map<number, { bytes: Uint8Array; sent: Sent }>();
  for (const a of accepted.sort((x, y) => x.baseOffset - y.baseOffset)) {
    let offset = a.baseOffset;
    if (expected.has(offset)) {
      // An idempotent retry recognised as a duplicate is acknowledged with the original offset.
      if (!isIdempotent(a.sent.records)) problems.push(`offset ${offset} acknowledged twice, the second time for ${describe_(a.sent)}`);
      continue;
    }
    for (const b of iterateBatches(a.sent.records)) {
      expected.set(offset, { bytes: b.bytes, sent: a.sent });
      offset += b.header.lastOffsetDelta + 1;
    }
  }
  let next = 0;
  let seen = 0;
  for (let round = 0; round < 100_000; round++) {
    const res = await withTimeout(
      client.request('Fetch', { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ name: target.topic, partitions: [{ partition: target.partition, fetchOffset: next, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1 }] }] }),
      `fetch ${key(target)} at ${next}`,
    );
    const p = res.topics[0]!.partitions[0]!;
    if (p.errorCode !== 0) {
      problems.push(`${key(target)}: fetch at ${next} failed: ${errorDefinition(p.errorCode).name} ${p.errorMessage}`);
      return seen;
    }
    if (next >= Number(p.highWatermark)) break;
    for (const view of iterateBatches(p.records)) {
      const want = expected.get(view.header.baseOffset);
      const where = `${key(target)} offset ${view.header.baseOffset}`;
      if (view.header.baseOffset !== next) problems.push(`${where}: expected a batch at ${next}`);
      if (!want) problems.push(`${where}: a batch that was never acknowledged there`);
      else if (Buffer.compare(view.bytes.subarray(16), want.bytes.subarray(16)) !== 0 || Buffer.compare(view.bytes.subarray(8, 12), want.bytes.subarray(8, 12)) !== 0) {
        problems.push(`${where}: stored bytes differ from those produced by ${describe_(want.sent)}`);
      }
      try {
        const records = decodeRecords(decompressed(view), view.header);
        if (records.length !== view.header.recordCount) throw new Error(`${records.length} records, header says ${view.header.recordCount}`);
      } catch (e) {
        problems.push(`${where}: a consumer cannot decode it (${(e as Error).message})${want ? `; produced by ${describe_(want.sent)}` : ''}`);
      }
      seen++;
      next = view.header.baseOffset + view.header.lastOffsetDelta + 1;
    }
  }
  if (seen !== expected.size) problems.push(`${key(target)}: read ${seen} batches, ${expected.size} were acknowledged`);
  return seen;
}

describe('structure-aware batch fuzzer', () => {
  it(`answers ${CASES} valid and lying batches as the spec says and serves only readable records`, async () => {
    const started = Date.now();
    const rng = new Rng(SEED);
    const { dir, cleanup } = tempDir();
    const broker = await Broker.start({ dataDir: dir, port: 0, config: { 'log.segment.bytes': 65536, 'log.cleaner.enable': false, 'log.level': 'silent' } });
    const problems: string[] = [];
    const accepted = new Map<string, Accepted[]>(TARGETS.map((t) => [key(t), []]));
    const outcomes = new Map<string, number>();
    const count = (name: string) => outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
    try {
      const admin = await WireClient.connect(broker.url);
      await createTopic(admin, 'fz', 6);
      await createTopic(admin, 'fz-small', 1, { 'max.message.bytes': '2048' });
      await createTopic(admin, 'fz-keyed', 1, { 'cleanup.policy': 'compact' });

      let made = 0;
      let stopped = false;
      const nextRequest = (): Sent[] | null => {
        if (made >= CASES || stopped) return null;
        return TARGETS.slice(0, Math.min(TARGETS.length, CASES - made)).map((target) => {
          const c = fuzzCase(rng, target.oracle.requireKeys);
          return { ...c, id: made++, target, verdict: judge(c.records, target.oracle) };
        });
      };
      const sendOne = async (client: WireClient, cases: Sent[]): Promise<void> => {
        const byTopic = new Map<string, Sent[]>();
        for (const c of cases) byTopic.set(c.target.topic, [...(byTopic.get(c.target.topic) ?? []), c]);
        const topics = [...byTopic].map(([name, cs]) => ({ name, partitions: cs.map((c) => ({ partition: c.target.partition, records: c.records })) }));
        let res;
        try {
          res = await withTimeout(client.request('Produce', { acks: 1, timeoutMs: 10_000, topics }), `produce of cases ${cases[0]!.id}..${cases[cases.length - 1]!.id}`);
        } catch (e) {
          problems.push(`${(e as Error).message}: ${cases.map(describe_).join(' | ')}`);
          return;
        }
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const c = byTopic.get(t.name)!.find((x) => x.target.partition === p.partition)!;
            const code = p.errorCode === 0 ? 'accepted' : errorDefinition(p.errorCode).name;
            count(code);
            if (c.verdict.ok) {
              if (code === 'accepted' || (SEQUENCE_CODES.has(code) && isIdempotent(c.records))) {
                if (code === 'accepted') accepted.get(key(c.target))!.push({ sent: c, baseOffset: Number(p.baseOffset) });
                if (c.mutations.length > 0) count('lies the spec allows');
              } else problems.push(`a valid batch was refused with ${code} (${p.errorMessage}): ${describe_(c)}`);
            } else if (code === 'accepted') {
              problems.push(`a batch the spec refuses was ACCEPTED at offset ${p.baseOffset}: ${describe_(c)}`);
              accepted.get(key(c.target))!.push({ sent: c, baseOffset: Number(p.baseOffset) });
            } else if (code !== c.verdict.code) {
              problems.push(`refused with ${code} (${p.errorMessage}) instead of ${c.verdict.code}: ${describe_(c)}`);
            } else if (Number(p.baseOffset) !== -1) problems.push(`refused but answered base offset ${p.baseOffset}: ${describe_(c)}`);
          }
        }
      };
      const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => WireClient.connect(broker.url)));
      await Promise.all(
        clients.flatMap((client) =>
          Array.from({ length: IN_FLIGHT_PER_CONNECTION }, async () => {
            try {
              for (let cases = nextRequest(); cases; cases = nextRequest()) await sendOne(client, cases);
            } catch (e) {
              stopped = true; // the other senders stop too, so the failure is reported at once
              throw e;
            }
          }),
        ),
      );
      const fuzzed = Date.now();

      let batches = 0;
      for (const target of TARGETS) batches += await checkPartition(admin, target, accepted.get(key(target))!, problems);
      for (const c of [...clients, admin]) await c.close();
      process.stdout.write(
        `batch fuzzer: ${made} cases (seed ${SEED}) in ${((fuzzed - started) / 1000).toFixed(1)} s, read back ${batches} batches in ${((Date.now() - fuzzed) / 1000).toFixed(1)} s; ` +
          `${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
      );
      if (problems.length > 0) throw new Error(`batch fuzzer (FUZZ_SEED=${SEED} replays it): ${problems.length} problems:\n${problems.slice(0, 12).join('\n')}`);
      expect(made).toBe(CASES);
      // The run exercised both sides: many lies refused for each reason, many batches accepted.
      expect(outcomes.get('accepted')).toBeGreaterThan(CASES / 10);
      expect(outcomes.get('INVALID_RECORD')).toBeGreaterThan(CASES / 10);
      expect(outcomes.get('CORRUPT_MESSAGE')).toBeGreaterThan(CASES / 20);
      expect(outcomes.get('MESSAGE_TOO_LARGE')).toBeGreaterThan(0);
    } finally {
      await broker.close();
      cleanup();
    }
  }, 180_000);
});
