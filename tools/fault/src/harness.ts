/**
 * The fault harness: rounds of (start the broker binary, run a mixed workload — durable produce to
 * a retention-limited topic and to a compacted topic, fetching — for a random time, SIGKILL the
 * broker at that moment), and after every restart, check:
 *
 *  - no acknowledged record is lost or changed (unless retention removed its segment);
 *  - no offset is reused: every record any consumer saw still holds the same content;
 *  - no corrupt record is ever returned: every record decodes and carries a valid checksum;
 *  - the compacted topic holds, for every key, the latest acknowledged value (or a newer one).
 *
 * The broker runs with small segments, frequent checkpoints, retention checks and cleaner runs,
 * so kills land in the middle of writes, rolls, checkpoints, retention deletions and cleaner swaps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Strata, partitionForKey, silentLogger, type ConsumerMessage } from '@strata/client';
import { BrokerProcess, freePort } from '@strata/tools-kit';
import { makeValue, parseValue } from './records';

export interface FaultOptions {
  rounds: number;
  seed: number;
  /** Workload time per round before the kill, ms: uniformly random in [min, max]. */
  minRunMs: number;
  maxRunMs: number;
  dataDir?: string;
  log?: (line: string) => void;
  /** Stop at the first round with an anomaly and keep the data folder for inspection. */
  stopOnAnomaly?: boolean;
}

export interface FaultReport {
  rounds: number;
  kills: number;
  recordsAcknowledged: number;
  recordsChecked: number;
  recordsExpiredByRetention: number;
  recordsCompactedAway: number;
  recoveriesWithTruncation: number;
  interruptedCleansResolved: number;
  anomalies: string[];
}

const PLAIN = 'plain';
const KV = 'kv';
const PLAIN_PARTITIONS = 3;
const KV_PARTITIONS = 2;
const KV_KEYS = 40;

interface Ack {
  partition: number;
  offset: number;
  value: string;
}

class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

const dec = new TextDecoder();
const text = (b: Uint8Array | null) => (b === null ? null : dec.decode(b));

/** Reads partitions from `from` until their end offset (or until nothing more comes). */
async function readPartitions(strata: Strata, topic: string, ranges: Array<{ partition: number; from: number; to: number }>): Promise<ConsumerMessage[]> {
  const wanted = ranges.filter((r) => r.to > r.from);
  if (wanted.length === 0) return [];
  const consumer = strata.consumer({ maxWaitMs: 50, autoOffsetReset: 'earliest' });
  await consumer.connect();
  consumer.assign(wanted.map((r) => ({ topic, partition: r.partition, offset: r.from })));
  const out: ConsumerMessage[] = [];
  const it = consumer.batches();
  const done = () => wanted.every((r) => (consumer.position(topic, r.partition) ?? r.from) >= r.to);
  try {
    while (!done()) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), 1500)));
      const next = await Promise.race([it.next(), idle]);
      clearTimeout(timer);
      if (next === 'idle' || next.done) break; // compaction may leave the last offsets of a closed segment empty
      out.push(...next.value.messages);
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export async function runFaultHarness(options: FaultOptions): Promise<FaultReport> {
  const log = options.log ?? (() => undefined);
  const rnd = new Random(options.seed);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-fault-'));
  const broker = new BrokerProcess({
    dataDir,
    port: await freePort(),
    settings: {
      durability: 'fsync',
      'log.recovery.checkpoint.interval.ms': '300',
      'log.retention.check.interval.ms': '150',
      'log.cleaner.backoff.ms': '120',
      'file.delete.delay.ms': '50',
      'log.flush.interval.ms': '200',
    },
  });
  const report: FaultReport = {
    rounds: 0,
    kills: 0,
    recordsAcknowledged: 0,
    recordsChecked: 0,
    recordsExpiredByRetention: 0,
    recordsCompactedAway: 0,
    recoveriesWithTruncation: 0,
    interruptedCleansResolved: 0,
    anomalies: [],
  };
  const acked = new Map<string, Ack>(); // `${topic}/${partition}/${offset}` -> ack
  const seen = new Map<string, string>(); // `${topic}/${partition}/${offset}` -> value any consumer saw
  const latestKv = new Map<string, { seq: number; ack: Ack }>(); // key -> latest acknowledged
  let seq = 0;
  const anomaly = (m: string) => {
    report.anomalies.push(m);
    log(`ANOMALY: ${m}`);
  };

  // Keeps the process alive while the harness awaits SDK calls against a dead broker: a stuck
  // await must show up as a hang (and a test timeout), never as a silent early exit.
  const keepAlive = setInterval(() => undefined, 1000);
  let keepData = false;
  try {
    await broker.start();
    {
      const strata = new Strata({ brokers: [broker.url], clientId: 'fault-setup', logger: silentLogger });
      const admin = strata.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [
          { topic: PLAIN, numPartitions: PLAIN_PARTITIONS, configs: { 'segment.bytes': '8192', 'retention.bytes': '65536' } },
          { topic: KV, numPartitions: KV_PARTITIONS, configs: { 'segment.bytes': '4096', 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.01' } },
        ],
      });
      await admin.disconnect();
    }

    for (let round = 1; round <= options.rounds; round++) {
      // --- workload, then SIGKILL at a random moment ---
      const strata = new Strata({ brokers: [broker.url], clientId: `fault-${round}`, logger: silentLogger, requestTimeoutMs: 5000, retry: { retries: 0 } });
      // Sends die with the broker: give up on them quickly (they count as not acknowledged).
      const producer = strata.producer({ deliveryTimeoutMs: 3000, timeoutMs: 2000 });
      const tail = strata.consumer({ maxWaitMs: 50, autoOffsetReset: 'earliest' });
      let stop = false;
      await producer.connect();
      await tail.connect();
      tail.assign(Array.from({ length: PLAIN_PARTITIONS }, (_, partition) => ({ topic: PLAIN, partition, fromBeginning: true })));
      const producePlain = async () => {
        while (!stop) {
          const messages = Array.from({ length: 20 }, (_, i) => {
            const s = seq++;
            const partition = (s + i) % PLAIN_PARTITIONS;
            return { key: `p-${s}`, partition, value: makeValue({ topic: PLAIN, partition, key: `p-${s}`, seq: s }, rnd.int(0, 400)) };
          });
          try {
            const res = await producer.send({ topic: PLAIN, messages, acks: -1 });
            res.forEach((r, i) => acked.set(`${PLAIN}/${r.partition}/${r.offset}`, { partition: r.partition, offset: r.offset, value: messages[i]!.value }));
            report.recordsAcknowledged += res.length;
          } catch {
            return; // the broker died: these were not acknowledged
          }
        }
      };
      const produceKv = async () => {
        while (!stop) {
          const messages = Array.from({ length: 10 }, () => {
            const s = seq++;
            const key = `k-${rnd.int(0, KV_KEYS - 1)}`;
            return { key, s, value: (partition: number) => makeValue({ topic: KV, partition, key, seq: s }, rnd.int(0, 200)) };
          });
          // The value names its partition, which the key partitioner picks: compute it the same way.
          const withValues = messages.map((m) => ({ key: m.key, partition: hashPartition(m.key), value: m.value(hashPartition(m.key)) }));
          try {
            const res = await producer.send({ topic: KV, messages: withValues, acks: -1 });
            res.forEach((r, i) => {
              const m = messages[i]!;
              const ack = { partition: r.partition, offset: r.offset, value: withValues[i]!.value };
              const prev = latestKv.get(m.key);
              if (!prev || prev.seq < m.s) latestKv.set(m.key, { seq: m.s, ack });
            });
            report.recordsAcknowledged += res.length;
          } catch {
            return;
          }
        }
      };
      const consumeTail = async () => {
        try {
          for await (const batch of tail.batches()) {
            for (const m of batch.messages) {
              const v = text(m.value);
              if (v === null || parseValue(v) === null) anomaly(`round ${round}: corrupt record read live at ${PLAIN}/${m.partition}/${m.offset}`);
              else seen.set(`${PLAIN}/${m.partition}/${m.offset}`, v);
            }
            if (stop) return;
          }
        } catch {
          // the broker died
        }
      };
      const runMs = rnd.int(options.minRunMs, options.maxRunMs);
      const work = Promise.all([producePlain(), producePlain(), produceKv(), consumeTail()]);
      await new Promise((r) => setTimeout(r, runMs));
      await broker.kill();
      report.kills++;
      stop = true;
      await Promise.all([producer.disconnect().catch(() => undefined), tail.disconnect().catch(() => undefined)]);
      await work;

      // --- restart and check ---
      await broker.start();
      for (const line of broker.lastOutput.split('\n')) {
        if (line.includes('truncated invalid tail')) report.recoveriesWithTruncation++;
        if (line.includes('an interrupted log clean')) report.interruptedCleansResolved++;
      }
      const before = report.anomalies.length;
      await verify(broker.url, round);
      report.rounds = round;
      if (options.stopOnAnomaly && report.anomalies.length > before) {
        log(`stopping after round ${round}; data kept in ${dataDir}; broker output at the last start:\n${broker.lastOutput}`);
        keepData = true;
        break;
      }
      log(`round ${round}/${options.rounds}: ran ${runMs} ms, ${report.recordsAcknowledged} acknowledged so far, ${report.anomalies.length} anomalies`);
    }
  } finally {
    clearInterval(keepAlive);
    await broker.kill();
    if (!options.dataDir && !keepData) rmSync(dataDir, { recursive: true, force: true });
  }
  return report;

  async function verify(url: string, round: number): Promise<void> {
    const strata = new Strata({ brokers: [url], clientId: `fault-check-${round}`, logger: silentLogger });
    const admin = strata.admin();
    await admin.connect();
    // Plain topic: acknowledged and observed records are where they were.
    const plainOffsets = await admin.fetchTopicOffsets(PLAIN);
    let records: ConsumerMessage[];
    try {
      records = await readPartitions(strata, PLAIN, plainOffsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })));
    } catch (e) {
      anomaly(`round ${round}: reading ${PLAIN} failed: ${(e as Error).message}`);
      records = [];
    }
    // Retention runs all the time: a segment can go between listing the offsets and reading it
    // (the consumer then resets to the new log start). The log start measured after the read
    // says what retention took; everything at or above it must be exactly as acknowledged.
    const lowAfter = new Map((await admin.fetchTopicOffsets(PLAIN)).map((o) => [o.partition, o.low]));
    const byKey = new Map<string, string | null>();
    for (const m of records) {
      const v = text(m.value);
      const parsed = v === null ? null : parseValue(v);
      if (!parsed || parsed.partition !== m.partition || parsed.topic !== PLAIN) anomaly(`round ${round}: corrupt record at ${PLAIN}/${m.partition}/${m.offset}`);
      byKey.set(`${PLAIN}/${m.partition}/${m.offset}`, v);
      report.recordsChecked++;
    }
    for (const [where, ack] of acked) {
      const low = lowAfter.get(ack.partition)!;
      if (ack.offset < low) {
        acked.delete(where);
        report.recordsExpiredByRetention++;
        continue;
      }
      if (byKey.get(where) !== ack.value) {
        const got = records.filter((m) => m.partition === ack.partition);
        anomaly(`round ${round}: acknowledged record ${where} is ${byKey.has(where) ? 'changed' : 'missing'} (log start ${low}, read ${got.length} records: ${got[0]?.offset}..${got[got.length - 1]?.offset})`);
      }
    }
    for (const [where, value] of seen) {
      const [, p, o] = where.split('/');
      const low = lowAfter.get(Number(p))!;
      if (Number(o) < low) {
        seen.delete(where);
        continue;
      }
      if (byKey.get(where) !== value) anomaly(`round ${round}: offset ${where} was read as one record and now holds ${byKey.has(where) ? 'another' : 'nothing'}`);
    }
    // Compacted topic: the latest acknowledged value of every key (or a newer one) is there.
    const kvOffsets = await admin.fetchTopicOffsets(KV);
    let kv: ConsumerMessage[];
    try {
      kv = await readPartitions(strata, KV, kvOffsets.map((o) => ({ partition: o.partition, from: o.low, to: o.high })));
    } catch (e) {
      anomaly(`round ${round}: reading ${KV} failed: ${(e as Error).message}`);
      kv = [];
    }
    const latestInLog = new Map<string, { offset: number; value: string; seq: number }>();
    let kvRecords = 0;
    for (const m of kv) {
      const v = text(m.value);
      const parsed = v === null ? null : parseValue(v);
      if (!parsed || parsed.topic !== KV || parsed.key !== text(m.key)) {
        anomaly(`round ${round}: corrupt record at ${KV}/${m.partition}/${m.offset}`);
        continue;
      }
      kvRecords++;
      report.recordsChecked++;
      const prev = latestInLog.get(parsed.key);
      if (!prev || prev.offset < m.offset) latestInLog.set(parsed.key, { offset: m.offset, value: v!, seq: parsed.seq });
    }
    for (const [key, { seq: ackSeq, ack }] of latestKv) {
      const found = latestInLog.get(key);
      if (!found) anomaly(`round ${round}: compacted topic lost key ${key} (acknowledged at ${ack.partition}/${ack.offset})`);
      else if (found.offset < ack.offset) anomaly(`round ${round}: compacted topic holds an older value of ${key} (${found.offset} < acknowledged ${ack.offset})`);
      else if (found.offset === ack.offset && found.value !== ack.value) anomaly(`round ${round}: acknowledged value of ${key} changed`);
      else if (found.seq < ackSeq) anomaly(`round ${round}: compacted topic holds an older write of ${key}`);
    }
    report.recordsCompactedAway = Math.max(report.recordsCompactedAway, kvOffsets.reduce((n, o) => n + o.high - o.low, 0) - kvRecords);
    await admin.disconnect();
  }
}

/** Kafka's default partitioner for the harness keys (the producer computes the same). */
function hashPartition(key: string): number {
  return partitionForKey(new TextEncoder().encode(key), KV_PARTITIONS);
}
