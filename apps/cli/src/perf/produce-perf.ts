/**
 * `strata perf produce`: sends records as fast as the producer takes them (or at `rate`), with
 * `inFlight` send() calls of `messagesPerSend` records each outstanding, like Kafka's
 * producer-perf-test. Latency is per send() call, from the call to its acknowledgement (so it
 * includes lingering, batching and queueing behind the calls ahead of it). It also reports the
 * framing: bytes of Produce messages on the wire (WebSocket headers included) and bytes the log grew
 * by, per record, and what they add to the record's own bytes.
 */
import type { CommandContext } from '../core/runtime';
import type { Acks, CompressionName, ProducerMessage, ProducerOptions } from '@strata/client';
import { LatencyHistogram } from './latency-histogram';
import { Progress, cpuSeconds, latencySummary, type PerfSummary } from './perf-report';
import { sampleValues } from './payload';
import { ensureTopic, sleep } from './perf-topic';
import { ThrottleCounter, WireCounter } from './wire-bytes';

export interface ProducePerfOptions {
  /** Records to send; null: until `durationMs` passes. */
  records: number | null;
  durationMs: number | null;
  recordSize: number;
  /** Partitions of the topic when it must be created. */
  partitions?: number;
  acks: Acks;
  lingerMs?: number;
  batchSize?: number;
  compression?: CompressionName;
  maxInFlightRequests?: number;
  idempotent?: boolean;
  /** send() calls outstanding at once. */
  inFlight: number;
  messagesPerSend: number;
  /** Records per second at most; null: as fast as possible. */
  rate: number | null;
  progressMs: number;
}

export async function producePerf(ctx: CommandContext, topic: string, o: ProducePerfOptions): Promise<PerfSummary> {
  const admin = await ctx.admin();
  const partitions = await ensureTopic(admin, topic, o.partitions);
  const producerOptions: ProducerOptions = { acks: o.acks };
  if (o.lingerMs !== undefined) producerOptions.lingerMs = o.lingerMs;
  if (o.batchSize !== undefined) {
    producerOptions.batchSize = o.batchSize;
    // Room for full batches of every partition in one request, and for every send() in flight.
    producerOptions.maxRequestBytes = Math.max(1_048_576, o.batchSize * partitions);
    producerOptions.bufferMemory = Math.max(32 * 1024 * 1024, o.batchSize * 16);
  }
  if (o.compression !== undefined) producerOptions.compression = o.compression;
  if (o.maxInFlightRequests !== undefined) producerOptions.maxInFlightRequests = o.maxInFlightRequests;
  if (o.idempotent !== undefined) producerOptions.idempotent = o.idempotent;
  const producer = await ctx.producer(producerOptions);
  const wire = new WireCounter('Produce', 'request');
  producer.on('connection.request', wire.listener);
  const throttled = new ThrottleCounter();
  producer.on('connection.throttle', throttled.listener);
  const logBytes = async (): Promise<number> => {
    const [t] = (await admin.describeTopics({ topics: [topic] })).topics;
    return (t?.partitions ?? []).reduce((n, p) => n + p.size, 0);
  };
  const logBytesBefore = await logBytes();

  const values = sampleValues(o.recordSize);
  const mask = values.length - 1;
  const total = new LatencyHistogram();
  const window = new LatencyHistogram();
  let handed = 0; // records given to send()
  let acked = 0;
  let firstError: unknown = null;
  const started = performance.now();
  const deadline = o.durationMs === null ? Number.POSITIVE_INFINITY : started + o.durationMs;
  const limit = o.records ?? Number.POSITIVE_INFINITY;
  const progress = new Progress(o.progressMs, (line) => ctx.out.note(line), () => ({ records: acked, bytes: acked * o.recordSize, window }), started);
  const cpu0 = cpuSeconds();
  progress.start();

  const worker = async (): Promise<void> => {
    while (handed < limit && firstError === null && !ctx.signal.aborted && performance.now() < deadline) {
      const n = Math.min(o.messagesPerSend, limit - handed);
      const first = handed;
      handed += n;
      if (o.rate !== null) {
        const due = started + (first / o.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait, ctx.signal);
      }
      const messages = new Array<ProducerMessage>(n);
      for (let i = 0; i < n; i++) messages[i] = { value: values[(first + i) & mask]! };
      const t0 = performance.now();
      try {
        await producer.send({ topic, messages });
      } catch (error) {
        firstError ??= error;
        return;
      }
      const micros = (performance.now() - t0) * 1000;
      total.record(micros);
      window.record(micros);
      acked += n;
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpu0;
  progress.stop();
  if (firstError !== null) throw firstError;
  const logBytesPerRecord = acked > 0 ? ((await logBytes()) - logBytesBefore) / acked : 0;
  const wireBytesPerRecord = acked > 0 ? wire.bytes / acked : 0;
  return {
    command: 'produce',
    topic,
    records: acked,
    bytes: acked * o.recordSize,
    seconds,
    msgsPerSec: acked / seconds,
    mbPerSec: (acked * o.recordSize) / seconds / 1e6,
    latencyMs: latencySummary(total, 'send() call to acknowledgement'),
    clientCpuSeconds: cpu,
    clientCpuPercent: (100 * cpu) / seconds,
    settings: {
      partitions,
      recordSize: o.recordSize,
      acks: o.acks,
      lingerMs: o.lingerMs ?? null,
      batchSize: o.batchSize ?? null,
      compression: o.compression ?? null,
      maxInFlightRequests: o.maxInFlightRequests ?? null,
      idempotent: o.idempotent ?? null,
      inFlight: o.inFlight,
      messagesPerSend: o.messagesPerSend,
      rate: o.rate,
    },
    extra: {
      produceMessages: wire.messages,
      throttledResponses: throttled.responses,
      throttleMs: throttled.ms,
      wireBytesPerRecord: round2(wireBytesPerRecord),
      wireFramingBytesPerRecord: round2(wireBytesPerRecord - o.recordSize),
      logBytesPerRecord: round2(logBytesPerRecord),
      logFramingBytesPerRecord: round2(logBytesPerRecord - o.recordSize),
    },
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
