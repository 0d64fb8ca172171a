/**
 * The final read, after every fault healed and the workload stopped: the high watermark of every
 * partition (`offsets` ok), then everything from offset 0 up to it in assign mode (one `read` ok
 * per partition with all its records), then the group's committed offsets (`final-committed`).
 * A partition not read up to its high watermark before the deadline gets a `read` info with what
 * was read: the checker then calls its acknowledged records unseen rather than lost.
 */
import { describeError, type PollValue, type ReadRecord } from '../history';
import type { ClientRuntime } from './client-runtime';
import { readCommitted } from './consumer-workers';

export class FinalReader {
  readonly summary = { records: 0, partitions: 0, complete: 0 };

  constructor(private readonly rt: ClientRuntime) {}

  async run(): Promise<void> {
    const { rt } = this;
    const { topic, partitions } = rt.spec;
    const deadline = performance.now() + (rt.spec.deadlineMs ?? 60_000);
    const admin = rt.strata.admin();
    await admin.connect();
    let high: Map<number, number> | null = null;
    while (!high && performance.now() < deadline) {
      rt.history.invoke('offsets');
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        high = new Map(offsets.map((o) => [o.partition, o.high]));
        rt.history.ok('offsets', Object.fromEntries(high));
      } catch (e) {
        rt.history.fail('offsets', null, describeError(e));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    if (!high) throw new Error('could not read the high watermarks before the deadline');
    const consumer = rt.strata.consumer();
    await consumer.connect();
    const records = new Map<number, ReadRecord[]>();
    const pending = new Set<number>();
    for (let p = 0; p < partitions; p++) {
      records.set(p, []);
      if ((high.get(p) ?? 0) > 0) pending.add(p);
    }
    for (let p = 0; p < partitions; p++) rt.history.invoke('read', { p });
    if (pending.size > 0) {
      consumer.assign([...pending].map((p) => ({ topic, partition: p, fromBeginning: true })));
      const batches = consumer.batches();
      const timer = setTimeout(() => void consumer.stop(), Math.max(0, deadline - performance.now()));
      try {
        while (pending.size > 0) {
          const next = await batches.next();
          if (next.done) break;
          const b = next.value;
          const list = records.get(b.partition)!;
          for (const m of b.messages) list.push([m.offset, m.valueString() ?? '']);
          const last = list[list.length - 1];
          if (last && last[0] + 1 >= high.get(b.partition)!) pending.delete(b.partition);
        }
      } finally {
        clearTimeout(timer);
      }
    }
    for (let p = 0; p < partitions; p++) {
      const list = records.get(p)!;
      const value: PollValue = { p, hw: high.get(p) ?? 0, records: list };
      this.summary.partitions++;
      this.summary.records += list.length;
      if (pending.has(p)) rt.history.info('read', value, `read up to ${list[list.length - 1]?.[0] ?? -1}, not to the high watermark ${high.get(p)} before the deadline`);
      else {
        this.summary.complete++;
        rt.history.ok('read', value);
      }
    }
    await consumer.disconnect().catch(() => undefined);
    if (rt.spec.groupId) {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await readCommitted(rt, admin, 'final-committed');
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
    await admin.disconnect().catch(() => undefined);
  }
}
