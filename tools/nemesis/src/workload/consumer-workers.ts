/**
 * The consumers of the workloads, each in its own process:
 * - AssignConsumerWorker (queue workload): assign mode, every partition from the beginning, the
 *   SDK's defaults otherwise; each batch handed out is a `poll` operation (invoke when it asked
 *   for the next batch, ok with the records). The checker wants each partition's offsets to go
 *   up by exactly one from poll to poll: no skip, no step back.
 * - GroupConsumerWorker (group workload): a member of the group, subscribed to the topic, from
 *   the earliest offset when the group has none (what the workload needs: every record consumed),
 *   manual commits: after processing a batch it commits the next offset of that partition when
 *   commitIntervalMs passed since its last commit of it (`commit` invoke/ok/fail, in the handler,
 *   so the partition is still held). Polls carry the member id.
 * - OffsetsMonitor (group workload): reads the group's committed offsets every 250 ms
 *   (`committed` ok), so the checker can see whether they ever go back.
 * Event loop only.
 */
import type { Admin } from '@strata/client';
import { describeError, type OffsetsValue, type PollValue } from '../history';
import type { ClientRuntime } from './client-runtime';

export class AssignConsumerWorker {
  readonly summary = { polls: 0, records: 0 };

  constructor(private readonly rt: ClientRuntime) {}

  async run(): Promise<void> {
    const { rt } = this;
    const consumer = rt.strata.consumer();
    await consumer.connect();
    consumer.assign(Array.from({ length: rt.spec.partitions }, (_, p) => ({ topic: rt.spec.topic, partition: p, fromBeginning: true })));
    const batches = consumer.batches();
    void rt.stopped().then(() => consumer.stop());
    while (!rt.stopping) {
      rt.history.invoke('poll');
      const next = await batches.next();
      if (next.done) {
        rt.history.info('poll', null, 'iteration ended');
        break;
      }
      const batch = next.value;
      const value: PollValue = { p: batch.partition, hw: batch.highWatermark, records: batch.messages.map((m) => [m.offset, m.valueString() ?? '']) };
      rt.history.ok('poll', value);
      this.summary.polls++;
      this.summary.records += value.records.length;
    }
    await consumer.disconnect().catch(() => undefined);
  }
}

export class GroupConsumerWorker {
  readonly summary = { polls: 0, records: 0, commitsOk: 0, commitsFailed: 0 };
  private readonly lastCommit = new Map<number, number>();

  constructor(private readonly rt: ClientRuntime) {}

  async run(): Promise<void> {
    const { rt } = this;
    const groupId = rt.spec.groupId;
    if (!groupId) throw new Error('a group consumer needs a groupId');
    const consumer = rt.strata.consumer({ groupId, autoCommit: false, autoOffsetReset: 'earliest', ...(rt.spec.sessionTimeoutMs ? { sessionTimeoutMs: rt.spec.sessionTimeoutMs } : {}) });
    await consumer.connect();
    consumer.subscribe({ topics: [rt.spec.topic] });
    const interval = rt.spec.commitIntervalMs ?? 500;
    const crashed = new Promise<string>((resolve) => consumer.on('consumer.crash', ({ payload }) => resolve(describeError(payload.error))));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (batch.isEmpty()) return;
        const member = consumer.groupMember();
        const value: PollValue = { p: batch.partition, hw: batch.highWatermark, records: batch.messages.map((m) => [m.offset, m.valueString() ?? '']), member: `${member?.memberId ?? '?'}@${member?.memberEpoch ?? -1}` };
        // The batch was handed out when the handler was called: invoke and ok together.
        rt.history.invoke('poll');
        rt.history.ok('poll', value);
        this.summary.polls++;
        this.summary.records += value.records.length;
        const now = performance.now();
        if (now - (this.lastCommit.get(batch.partition) ?? 0) < interval) return;
        this.lastCommit.set(batch.partition, now);
        const offsets: OffsetsValue = { [batch.partition]: batch.lastOffset()! + 1 };
        rt.history.invoke('commit', offsets);
        try {
          await consumer.commitOffsets([{ topic: rt.spec.topic, partition: batch.partition, offset: batch.lastOffset()! + 1 }]);
          rt.history.ok('commit', offsets);
          this.summary.commitsOk++;
        } catch (e) {
          // A commit refused by the coordinator (fenced, rebalancing) did not happen; a timeout may have.
          const code = (e as { code?: unknown }).code;
          const definite = code === 'FENCED_MEMBER_EPOCH' || code === 'UNKNOWN_MEMBER_ID' || code === 'ILLEGAL_GENERATION' || code === 'STALE_MEMBER_EPOCH' || code === 'REBALANCE_IN_PROGRESS';
          if (definite) rt.history.fail('commit', offsets, describeError(e));
          else rt.history.info('commit', offsets, describeError(e));
          this.summary.commitsFailed++;
        }
      },
    });
    const outcome = await Promise.race([rt.stopped().then(() => null), crashed]);
    if (outcome !== null) rt.history.info('poll', null, `consumer crashed: ${outcome}`);
    await consumer.disconnect().catch(() => undefined);
  }
}

export class OffsetsMonitor {
  readonly summary = { reads: 0, failed: 0 };

  constructor(private readonly rt: ClientRuntime) {}

  async run(): Promise<void> {
    const { rt } = this;
    const admin = rt.strata.admin();
    await admin.connect();
    while (!rt.stopping) {
      await readCommitted(rt, admin, 'committed').then(
        () => this.summary.reads++,
        () => this.summary.failed++,
      );
      await rt.sleep(250);
    }
    await admin.disconnect().catch(() => undefined);
  }
}

/** One read of the group's committed offsets as a history operation (`f`); throws on failure. */
export async function readCommitted(rt: ClientRuntime, admin: Admin, f: string): Promise<OffsetsValue> {
  rt.history.invoke(f);
  try {
    const topics = await admin.fetchOffsets({ groupId: rt.spec.groupId!, topics: [rt.spec.topic] });
    const value: OffsetsValue = {};
    for (const p of topics.find((t) => t.topic === rt.spec.topic)?.partitions ?? []) value[p.partition] = p.offset;
    rt.history.ok(f, value);
    return value;
  } catch (e) {
    rt.history.fail(f, null, describeError(e));
    throw e;
  }
}
