/**
 * `strata perf consume`: reads records as fast as the consumer delivers them, through the batches()
 * iterator or run({ eachBatch | eachMessage }), in assign mode from the beginning of every partition
 * or as a member of a consumer group (auto-commit on; the clock stops once what was read is
 * committed). Latency is what the application waited for each batch: from handing control back
 * (end of the previous handler call or loop body) to the next batch (not timed per message).
 *
 * Without --records or --duration it reads up to the end offsets observed at start (as a group's
 * only member it gets every partition).
 */
import type { ConsumerMessage, ConsumerOptions, MessageBatch } from '@strata/client';
import type { CommandContext } from '../core/runtime';
import { LatencyHistogram } from './latency-histogram';
import { Progress, cpuSeconds, latencySummary, type PerfSummary } from './perf-report';
import { ThrottleCounter, WireCounter } from './wire-bytes';
import { ABORTED, settle } from '../core/settle';

export type ConsumeMode = 'batches' | 'each-batch' | 'each-message';

export interface ConsumePerfOptions {
  records: number | null;
  durationMs: number | null;
  group: string | null;
  mode: ConsumeMode;
  maxBytesPerPartition: number;
  progressMs: number;
}

export async function consumePerf(ctx: CommandContext, topic: string, o: ConsumePerfOptions): Promise<PerfSummary> {
  const admin = await ctx.admin();
  const observed = await admin.fetchTopicOffsets(topic);
  const ends = new Map<number, number>();
  for (const p of observed) if (p.high > p.low) ends.set(p.partition, p.high);
  const untilEnd = o.records === null && o.durationMs === null;
  const limit = o.records ?? Number.POSITIVE_INFINITY;

  const options: ConsumerOptions = { maxBytesPerPartition: o.maxBytesPerPartition, maxBytes: 64 * 1024 * 1024, autoOffsetReset: 'earliest' };
  if (o.group !== null) options.groupId = o.group;
  const consumer = await ctx.consumer(options);
  const wire = new WireCounter('Fetch', 'response');
  consumer.on('connection.request', wire.listener);
  const throttled = new ThrottleCounter();
  consumer.on('connection.throttle', throttled.listener);
  if (o.group !== null) consumer.subscribe({ topics: [topic], fromBeginning: true });
  else consumer.assign(observed.map((p) => ({ topic, partition: p.partition, offset: p.low })));

  const total = new LatencyHistogram();
  const window = new LatencyHistogram();
  let records = 0;
  let bytes = 0;
  // Ends the run (limit, duration, SIGINT). An AbortSignal, not a promise raced in the loop: each
  // Promise.race on one long-lived promise leaves a reaction on it that keeps the raced batch
  // alive, so every record read stayed in memory until the end (and GC took half the CPU).
  const stop = new AbortController();
  const finished = (): void => stop.abort();
  let over = false;
  const started = performance.now();
  const deadline = o.durationMs === null ? Number.POSITIVE_INFINITY : started + o.durationMs;
  if (untilEnd && ends.size === 0) over = true;
  const progress = new Progress(o.progressMs, (line) => ctx.out.note(line), () => ({ records, bytes, window }), started);
  const cpu0 = cpuSeconds();
  let handedBack = performance.now();
  const delivered = (): void => {
    const now = performance.now();
    const micros = (now - handedBack) * 1000;
    total.record(micros);
    window.record(micros);
  };
  const count = (m: ConsumerMessage): void => {
    records++;
    bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
  };
  const reachedEnd = (partition: number, next: number): void => {
    const end = ends.get(partition);
    if (end !== undefined && next >= end) ends.delete(partition);
  };
  // The deadline is also enforced by a timer: per-message work stays free of clock reads.
  const isOver = (): boolean => (over ||= records >= limit || (untilEnd && ends.size === 0) || ctx.signal.aborted);
  /** After a batch: true when the run is over. */
  const check = (batch: MessageBatch): boolean => {
    const last = batch.lastOffset();
    if (untilEnd && last !== null) reachedEnd(batch.partition, last + 1);
    return isOver() || performance.now() >= deadline;
  };
  const onAbort = (): void => finished();
  ctx.signal.addEventListener('abort', onAbort);
  const timer = o.durationMs === null ? null : setTimeout(() => finished(), o.durationMs);
  progress.start();
  try {
    if (!over && o.mode === 'batches') {
      const iterator = consumer.batches();
      for (;;) {
        handedBack = performance.now();
        const next = await settle(iterator.next(), stop.signal, null);
        if (next === ABORTED || next.done) break;
        delivered();
        for (const m of next.value.messages) count(m);
        if (check(next.value)) break;
      }
      await iterator.return?.(); // commits (group mode) and leaves
    } else if (!over) {
      await consumer.run(
        o.mode === 'each-batch'
          ? {
              eachBatch: ({ batch }) => {
                delivered();
                for (const m of batch.messages) count(m);
                if (check(batch)) finished();
                handedBack = performance.now();
              },
            }
          : {
              eachMessage: ({ message }) => {
                // Per-message deliveries are not timed: two clock reads would cost more than the delivery.
                count(message);
                if (untilEnd) reachedEnd(message.partition, message.offset + 1);
                if (isOver()) finished();
              },
            },
      );
      if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
      await consumer.stop(); // ends run(); with a group, commits what was read
    }
  } finally {
    if (timer) clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpu0;
  return {
    command: 'consume',
    topic,
    records,
    bytes,
    seconds,
    msgsPerSec: records / seconds,
    mbPerSec: bytes / seconds / 1e6,
    latencyMs: latencySummary(total, o.mode === 'each-message' ? 'not timed per message' : 'wait for each batch'),
    clientCpuSeconds: cpu,
    clientCpuPercent: (100 * cpu) / seconds,
    settings: { partitions: observed.length, group: o.group, mode: o.mode, maxBytesPerPartition: o.maxBytesPerPartition, records: o.records, durationMs: o.durationMs },
    extra: {
      fetchMessages: wire.messages,
      throttledResponses: throttled.responses,
      throttleMs: throttled.ms,
      wireBytesPerRecord: records > 0 ? Math.round((wire.bytes / records) * 100) / 100 : 0,
      wireFramingBytesPerRecord: records > 0 ? Math.round(((wire.bytes - bytes) / records) * 100) / 100 : 0,
    },
  };
}
