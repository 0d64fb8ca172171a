/**
 * The message browser's reads: one page of records of one partition, from an offset, a timestamp,
 * the earliest or the latest records. Each page uses its own assign-mode consumer (no group, nothing
 * committed), read until the page is full or the high watermark is reached, then disconnected.
 *
 * Offsets may have gaps (compaction, transaction markers): a page ends at the high watermark seen
 * when it was asked for, and a page whose reads stall (the records were deleted meanwhile) ends
 * after `stallMs` with what it has.
 */
import type { Admin, ConsumerMessage, RecordHeader, Strata } from '@strata/client';

export type StartAt = { at: 'earliest' } | { at: 'latest' } | { at: 'offset'; offset: number } | { at: 'timestamp'; timestamp: number };

export interface BrowsedRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: readonly RecordHeader[];
}

export interface RecordPage {
  topic: string;
  partition: number;
  /** Log start offset and high watermark when the page was read. */
  low: number;
  high: number;
  /** Offset the page started from. */
  from: number;
  records: BrowsedRecord[];
}

export interface ReadPageArgs {
  topic: string;
  partition: number;
  start: StartAt;
  limit: number;
  stallMs?: number;
}

/** Where a page starting at `start` begins, within [low, high]. */
export function startOffset(start: StartAt, low: number, high: number, limit: number, byTimestamp?: number): number {
  const clamp = (o: number) => Math.min(Math.max(o, low), high);
  switch (start.at) {
    case 'earliest':
      return low;
    case 'latest':
      return clamp(high - limit);
    case 'offset':
      return clamp(start.offset);
    case 'timestamp':
      return clamp(byTimestamp ?? high);
  }
}

export async function readPage(strata: Strata, admin: Admin, args: ReadPageArgs): Promise<RecordPage> {
  const { topic, partition, limit } = args;
  const offsets = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
  if (!offsets) throw new Error(`topic "${topic}" has no partition ${partition}`);
  const { low, high } = offsets;
  let byTimestamp: number | undefined;
  if (args.start.at === 'timestamp') {
    byTimestamp = (await admin.fetchTopicOffsetsByTimestamp(topic, args.start.timestamp)).find((p) => p.partition === partition)?.offset;
  }
  const from = startOffset(args.start, low, high, limit, byTimestamp);
  const page: RecordPage = { topic, partition, low, high, from, records: [] };
  if (from >= high) return page;

  const consumer = strata.consumer({ maxWaitMs: 200, maxBytesPerPartition: 1024 * 1024 });
  await consumer.connect();
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const armStallTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      void consumer.stop();
    }, args.stallMs ?? 5000);
  };
  try {
    consumer.assign([{ topic, partition, offset: from }]);
    armStallTimer();
    for await (const batch of consumer.batches()) {
      if (stalled) break;
      armStallTimer();
      for (const m of batch.messages) if (m.offset >= from && m.offset < high && page.records.length < limit) page.records.push(copy(m));
      const last = batch.lastOffset();
      if (page.records.length >= limit || (last !== null && last >= high - 1) || (consumer.position(topic, partition) ?? 0) >= high) break;
    }
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return page;
}

/** Keys and values are views into the fetch response: copy them so the page does not hold it. */
function copy(m: ConsumerMessage): BrowsedRecord {
  return {
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key === null ? null : m.key.slice(),
    value: m.value === null ? null : m.value.slice(),
    headers: m.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.slice() })),
  };
}
