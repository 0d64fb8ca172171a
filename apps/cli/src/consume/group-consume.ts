/**
 * `strata consume <topic> --group <id>`: prints records as a member of a consumer group. The group
 * decides which partitions this member reads (all of them when it is alone) and where it starts
 * (the committed offsets; else the log start with --from-beginning, the end otherwise).
 *
 * What is printed is committed: the SDK auto-commits every batch the loop has finished, and on the
 * way out the last printed offsets of the partitions the member still holds are committed
 * explicitly (a partial batch under --max-messages included). So a next `consume --group` prints
 * what this one did not, and nothing twice unless the member crashed in between.
 *
 * Without --follow it exits once every partition it holds is read up to the end observed at start
 * (whole batches are printed, so a few records produced after the start may be printed too).
 */
import type { MessageBatch } from '@strata/client';
import { ABORTED, TICK, settle } from '../core/settle';
import type { CommandContext } from '../core/runtime';
import { recordOutput, type TextLayout } from './record-format';

export interface GroupConsumeOptions {
  groupId: string;
  fromBeginning: boolean;
  follow: boolean;
  maxMessages: number;
  layout: TextLayout;
}

/** How often, without --follow, the positions are checked even when no batch arrives. */
const CAUGHT_UP_CHECK_MS = 200;

export async function consumeAsGroup(ctx: CommandContext, topic: string, o: GroupConsumeOptions): Promise<void> {
  const admin = await ctx.admin();
  const observed = await admin.fetchTopicOffsets(topic); // fails with UNKNOWN_TOPIC_OR_PARTITION for a missing topic
  const ends = new Map(observed.map((p) => [p.partition, p.high]));
  if (ctx.signal.aborted) return;

  const consumer = await ctx.consumer({ groupId: o.groupId });
  consumer.subscribe({ topics: [topic], fromBeginning: o.fromBeginning });
  let joined = false;
  consumer.on('consumer.group_join', () => (joined = true));
  const caughtUp = (): boolean =>
    joined &&
    consumer.assignment().every((tp) => {
      const position = consumer.position(topic, tp.partition);
      return position !== null && position >= (ends.get(tp.partition) ?? 0);
    });

  /** Per partition this member holds, the offset after the last record it printed. */
  const printedUpTo = new Map<number, number>();
  consumer.on('consumer.rebalance', ({ payload }) => {
    // Another member may commit further meanwhile: never commit an older offset of ours later.
    for (const tp of [...payload.revoked, ...payload.lost]) printedUpTo.delete(tp.partition);
  });
  let printed = 0;
  const batches = consumer.batches();
  let pending: Promise<IteratorResult<MessageBatch, undefined>> | null = null;
  try {
    for (;;) {
      pending ??= batches.next();
      const next = await settle(pending, ctx.signal, o.follow ? null : CAUGHT_UP_CHECK_MS);
      if (next === ABORTED) break;
      if (next === TICK) {
        if (caughtUp()) break;
        continue;
      }
      pending = null;
      if (next.done) break;
      const batch = next.value;
      let output = '';
      for (const message of batch.messages) {
        if (printed >= o.maxMessages) break;
        output += recordOutput(message, ctx.options.json, o.layout);
        printedUpTo.set(batch.partition, message.offset + 1);
        printed++;
      }
      await ctx.out.write(output);
      if (printed >= o.maxMessages || ctx.signal.aborted) break;
      if (!o.follow && caughtUp()) break;
    }
  } finally {
    pending?.catch(() => undefined);
    const held = new Set(consumer.assignment().map((tp) => tp.partition));
    const offsets = [...printedUpTo].filter(([partition]) => held.has(partition)).map(([partition, offset]) => ({ topic, partition, offset }));
    if (offsets.length > 0) {
      await consumer.commitOffsets(offsets).catch((error: unknown) => ctx.out.note(`warning: could not commit the printed offsets: ${error instanceof Error ? error.message : String(error)}`));
    }
    // Ends the iteration: the consumer commits, leaves the group, and wakes a next() parked at the end of the log.
    await batches.return?.();
  }
}
