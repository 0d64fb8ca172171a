/**
 * Helpers for consumer-group tests over the wire: a broker whose group coordinator runs on a
 * manual scheduler, protocol-following members (SimMember) on their own connections, and small
 * wrappers for commits, fetches of committed offsets and records.
 */
import { BATCH_HEADER_SIZE, ErrorCode, decodeRecords, iterateBatches, type OffsetCommitTopicInit } from '@strata/protocol';
import { ManualScheduler } from '../../src/util/scheduler';
import type { StartBrokerOptions } from '../../src';
import { testBroker } from './broker';
import { SimMember, type SimMemberOptions } from './group-member';
import { WireClient } from './wire-client';

export type TestBroker = Awaited<ReturnType<typeof testBroker>>;

/** Retries a request while the coordinator is still loading committed offsets (bounded). */
export async function untilLoaded<T extends { errorCode?: number | null }>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fn();
    if (res.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || attempt >= 200) return res;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function waitForCoordinator(client: WireClient): Promise<void> {
  const res = await untilLoaded(() => client.request('ListGroups', {}));
  if (res.errorCode !== 0) throw new Error(`coordinator not available: ${res.errorCode}`);
}

export class GroupTestEnv {
  readonly clients: WireClient[] = [];

  private constructor(
    readonly broker: TestBroker,
    readonly scheduler: ManualScheduler,
    readonly admin: WireClient,
  ) {}

  static async start(options: StartBrokerOptions = {}): Promise<GroupTestEnv> {
    const scheduler = new ManualScheduler();
    const broker = await testBroker({ scheduler, ...options });
    const admin = await WireClient.connect(broker.url);
    await waitForCoordinator(admin);
    return new GroupTestEnv(broker, scheduler, admin);
  }

  async connect(): Promise<WireClient> {
    const client = await WireClient.connect(this.broker.url);
    this.clients.push(client);
    return client;
  }

  /** A member on its own connection (or on `client`). */
  async member(options: SimMemberOptions, client?: WireClient): Promise<SimMember> {
    const c = client ?? (await this.connect());
    return new SimMember((req) => c.request('ConsumerGroupHeartbeat', req), options);
  }

  async cleanup(): Promise<void> {
    for (const c of [...this.clients, this.admin]) await c.close().catch(() => undefined);
    await this.broker.cleanup();
  }
}

export function commitRequest(groupId: string, member: { memberId: string; epoch: number } | null, offsets: Record<string, Record<number, number>>) {
  const topics: OffsetCommitTopicInit[] = Object.entries(offsets).map(([name, parts]) => ({
    name,
    partitions: Object.entries(parts).map(([p, offset]) => ({ partition: Number(p), committedOffset: offset, committedLeaderEpoch: -1, metadata: '' })),
  }));
  return { groupId, memberId: member?.memberId ?? '', memberEpoch: member ? member.epoch : -1, topics };
}

/** Committed offsets of a group as { "topic:partition": offset } (-1 entries left out). */
export async function committed(client: WireClient, groupId: string): Promise<Record<string, number>> {
  const res = await untilLoaded(() => client.request('OffsetFetch', { groupId }));
  if (res.errorCode !== 0) throw new Error(`OffsetFetch failed: ${res.errorCode} ${res.errorMessage}`);
  const out: Record<string, number> = {};
  for (const t of res.topics) for (const p of t.partitions) if (p.committedOffset >= 0) out[`${t.name}:${p.partition}`] = p.committedOffset;
  return out;
}

/** Values of the records of a partition from `offset`, as strings. */
export async function fetchValues(client: WireClient, topic: string, partition: number, offset = 0): Promise<string[]> {
  const res = await client.request('Fetch', {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ name: topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  });
  const records = res.topics[0]!.partitions[0]!.records;
  return [...iterateBatches(records)]
    .flatMap((b) => decodeRecords(b.bytes.subarray(BATCH_HEADER_SIZE), b.header))
    .filter((r) => r.offset >= offset)
    .map((r) => Buffer.from(r.value ?? new Uint8Array()).toString());
}
