/**
 * The queue workload's producer: one idempotent acks=all producer (the SDK's defaults) writing
 * unique values `<process>-<seq>` — seq counts up in the order send() is called — spread over the
 * partitions, with a few send() calls in flight, at a steady rate. Each send is one history
 * operation: invoke {v, p}; ok {v, p, o} with the acknowledged offset; info (indeterminate: a
 * failed send may still have been written) with the error.
 *
 * Probes (asked by the nemesis while a partition's ISR is its leader alone): one acks=all send
 * from a fresh producer with short timeouts, which must fail with NOT_ENOUGH_REPLICAS.
 */
import { StrataError, type Producer } from '@strata/client';
import { describeError, type ProbeValue, type SendValue } from '../history';
import type { ClientRuntime } from './client-runtime';

export class ProducerWorker {
  private producer: Producer | null = null;
  private seq = 0;
  private inFlight = new Set<Promise<void>>();
  readonly summary = { invoked: 0, ok: 0, info: 0, probes: 0 };

  constructor(private readonly rt: ClientRuntime) {}

  async run(): Promise<void> {
    const { rt } = this;
    const producer = rt.strata.producer();
    this.producer = producer;
    await producer.connect();
    const rate = rt.spec.rate ?? 100;
    const concurrency = rt.spec.concurrency ?? 4;
    const interval = 1000 / rate;
    let next = performance.now();
    while (!rt.stopping) {
      while (this.inFlight.size >= concurrency && !rt.stopping) await Promise.race(this.inFlight);
      if (rt.stopping) break;
      const wait = next - performance.now();
      if (wait > 0) await rt.sleep(wait);
      if (rt.stopping) break;
      next = Math.max(next + interval, performance.now() - 1000); // no burst after a stall
      this.sendOne();
    }
    // Let what is in flight finish (it may take a retry or two after the cluster healed).
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => setTimeout(resolve, 30_000))]);
    await producer.disconnect().catch(() => undefined);
  }

  private sendOne(): void {
    const { rt } = this;
    const s = this.seq++;
    const value: SendValue = { v: `${rt.spec.name}-${s}`, p: s % rt.spec.partitions };
    rt.history.invoke('send', value);
    this.summary.invoked++;
    const p = this.producer!.send({ topic: rt.spec.topic, messages: [{ value: value.v, partition: value.p }] }).then(
      (meta) => {
        this.summary.ok++;
        rt.history.ok('send', { ...value, p: meta[0]!.partition, o: meta[0]!.offset });
      },
      (e: unknown) => {
        this.summary.info++;
        rt.history.info('send', value, describeError(e));
      },
    );
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** One acks=all send to `partition` from a fresh producer; its outcome and how long it took. */
  async probe(partition: number, isr: number[]): Promise<{ ok: boolean; ms: number; error?: string }> {
    const { rt } = this;
    this.summary.probes++;
    const value: ProbeValue = { p: partition, isr };
    const v = `${rt.spec.name}-probe-${this.summary.probes}`;
    rt.history.invoke('probe', { ...value, v });
    // A few quick retries (stale metadata), then the broker's answer itself rather than a delivery timeout.
    const producer = rt.strata.producer({ lingerMs: 0, timeoutMs: 2000, deliveryTimeoutMs: 5000, retry: { retries: 3, initialRetryTimeMs: 100 } });
    const started = performance.now();
    try {
      await producer.connect();
      await producer.send({ topic: rt.spec.topic, messages: [{ value: v, partition }] });
      const ms = performance.now() - started;
      rt.history.ok('probe', { ...value, v, ms });
      return { ok: true, ms };
    } catch (e) {
      const ms = performance.now() - started;
      const code = e instanceof StrataError ? e.code : 'UNKNOWN';
      // The broker's own answer is at the bottom of the chain: the SDK retries a retriable
      // NOT_ENOUGH_REPLICAS and, retries spent, wraps it in a delivery error.
      let cause: string | undefined;
      for (let c: unknown = e instanceof Error ? e.cause : undefined; c instanceof Error; c = c.cause) if (c instanceof StrataError) cause = c.code;
      rt.history.info('probe', { ...value, v, ms, code, ...(cause ? { cause } : {}) }, describeError(e));
      return { ok: false, ms, error: describeError(e) };
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }
}
