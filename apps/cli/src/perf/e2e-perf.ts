/**
 * `strata perf e2e`: end-to-end latency at a steady rate. A producer (lingerMs 0 unless told
 * otherwise) sends one record every 1/rate seconds; a consumer in this process, reading every
 * partition from its end, receives them. Each value starts with the send time (a float64 of
 * performance.now()), so latency = receive time - send time on one clock: from the send() call to
 * the record in the consumer's hands (the producer, the broker's write, its wake-up of the parked
 * fetch, the fetch response and the decoding). A warm-up phase (JIT, connections, caches) is sent
 * and received like the rest but not counted.
 */
import type { Acks, ProducerOptions } from '@strata/client';
import type { CommandContext } from '../core/runtime';
import { LatencyHistogram } from './latency-histogram';
import { Progress, cpuSeconds, latencySummary, type PerfSummary } from './perf-report';
import { sampleValues } from './payload';
import { ensureTopic } from './perf-topic';

export interface E2ePerfOptions {
  rate: number;
  durationMs: number;
  warmupMs: number;
  recordSize: number;
  partitions?: number;
  acks: Acks;
  lingerMs: number;
  maxWaitMs: number;
  progressMs: number;
}

/** How long to wait for records still on their way after the last send. */
const DRAIN_MS = 5_000;

export async function e2ePerf(ctx: CommandContext, topic: string, o: E2ePerfOptions): Promise<PerfSummary> {
  const admin = await ctx.admin();
  const partitions = await ensureTopic(admin, topic, o.partitions);
  const producerOptions: ProducerOptions = { acks: o.acks, lingerMs: o.lingerMs };
  const producer = await ctx.producer(producerOptions);
  const consumer = await ctx.consumer({ maxWaitMs: o.maxWaitMs, autoOffsetReset: 'latest' });
  const ends = await admin.fetchTopicOffsets(topic);
  consumer.assign(ends.map((p) => ({ topic, partition: p.partition, offset: p.high })));

  const values = sampleValues(Math.max(8, o.recordSize));
  const mask = values.length - 1;
  const total = new LatencyHistogram();
  const window = new LatencyHistogram();
  const interval = 1000 / o.rate;
  let sentMeasured = 0;
  let received = 0;
  let firstError: unknown = null;

  const started = performance.now();
  const measureFrom = started + o.warmupMs;
  const sendUntil = measureFrom + o.durationMs;
  let cpu0 = cpuSeconds();
  let measuring = false;
  const progress = new Progress(o.progressMs, (line) => ctx.out.note(line), () => ({ records: received, bytes: received * o.recordSize, window }), measureFrom);

  let allIn!: () => void;
  const allReceived = new Promise<void>((resolve) => (allIn = resolve));
  let sendingDone = false;
  const receiving = (async () => {
    for await (const batch of consumer.batches()) {
      const now = performance.now();
      for (const m of batch.messages) {
        const v = m.value;
        if (v === null || v.length < 8) continue;
        const sentAt = new DataView(v.buffer, v.byteOffset, 8).getFloat64(0);
        if (sentAt < measureFrom) continue;
        const micros = (now - sentAt) * 1000;
        total.record(micros);
        window.record(micros);
        received++;
      }
      if (sendingDone && received >= sentMeasured) allIn();
      if (ctx.signal.aborted) break;
    }
  })();
  receiving.catch((error: unknown) => {
    firstError ??= error;
    allIn();
  });

  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = (): void => {
      const now = performance.now();
      if (!measuring && now >= measureFrom) {
        measuring = true;
        cpu0 = cpuSeconds();
        progress.start();
      }
      while (started + k * interval <= now) {
        const due = started + k * interval;
        if (due >= sendUntil || ctx.signal.aborted || firstError !== null) return resolve();
        const value = values[k & mask]!.slice();
        new DataView(value.buffer, value.byteOffset, 8).setFloat64(0, performance.now());
        if (due >= measureFrom) sentMeasured++;
        producer.send({ topic, messages: [{ value }] }).catch((error: unknown) => (firstError ??= error));
        k++;
      }
      setTimeout(tick, Math.max(0, started + k * interval - performance.now()));
    };
    tick();
  });
  const sendSeconds = (performance.now() - measureFrom) / 1000;
  sendingDone = true;
  if (received >= sentMeasured) allIn();
  const drain = setTimeout(allIn, DRAIN_MS);
  const onAbort = (): void => allIn();
  ctx.signal.addEventListener('abort', onAbort);
  await allReceived;
  clearTimeout(drain);
  ctx.signal.removeEventListener('abort', onAbort);
  const cpu = cpuSeconds() - cpu0;
  progress.stop();
  if (firstError !== null) throw firstError;
  const seconds = Math.max(sendSeconds, 1e-9);
  return {
    command: 'e2e',
    topic,
    records: received,
    bytes: received * o.recordSize,
    seconds,
    msgsPerSec: received / seconds,
    mbPerSec: (received * o.recordSize) / seconds / 1e6,
    latencyMs: latencySummary(total, 'send() call to the record in the consumer'),
    clientCpuSeconds: cpu,
    clientCpuPercent: (100 * cpu) / seconds,
    settings: { partitions, rate: o.rate, durationMs: o.durationMs, warmupMs: o.warmupMs, recordSize: Math.max(8, o.recordSize), acks: o.acks, lingerMs: o.lingerMs, maxWaitMs: o.maxWaitMs },
    extra: { sent: sentMeasured, lost: Math.max(0, sentMeasured - received) },
  };
}
