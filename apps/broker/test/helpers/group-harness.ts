/**
 * A GroupCoordinator on a manual scheduler, an in-memory topic catalog and an in-memory
 * `__consumer_offsets` log: unit tests drive heartbeats and move time by hand.
 */
import pino from 'pino';
import {
  Apis,
  decodeMessage,
  type ConsumerGroupHeartbeatRequestInit,
  type ConsumerGroupHeartbeatResponse,
  type MessageCodec,
} from '@strata/protocol';
import { builtInAssignors } from '../../src/groups/assignors';
import { GroupCoordinator, type MemberConnection } from '../../src/groups/group-coordinator';
import type { GroupCoordinatorConfig } from '../../src/groups/member-params';
import { OffsetStore } from '../../src/groups/offset-store';
import { BrokerMetrics } from '../../src/metrics';
import { ManualScheduler } from '../../src/util/scheduler';
import { SimMember, type SimMemberOptions } from './group-member';
import { MemoryLog } from './memory-log';

export const TEST_GROUP_CONFIG: GroupCoordinatorConfig = {
  sessionTimeoutMs: 45_000,
  minSessionTimeoutMs: 1_000,
  maxSessionTimeoutMs: 300_000,
  heartbeatIntervalMs: 5_000,
  reconcilingHeartbeatIntervalMs: 250,
  rebalanceTimeoutMs: 60_000,
  defaultAssignor: 'sticky',
  maxGroupSize: 1000,
  offsetMetadataMaxBytes: 4096,
};

/** Encodes and decodes, so a partial request gets the wire's defaults, as the broker sees it. */
export function wire<T, I>(codec: MessageCodec<T, I>, init: I): T {
  return decodeMessage(codec, codec.encode(init).finish());
}

export class FakeConnection implements MemberConnection {
  private static nextId = 1;
  readonly id = FakeConnection.nextId++;
  readonly clientId = 'test';
  readonly clientHost = '';
  private listeners = new Set<() => void>();

  onClose(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    for (const fn of this.listeners) fn();
    this.listeners.clear();
  }
}

export class GroupHarness {
  readonly scheduler = new ManualScheduler();
  readonly topics = new Map<string, number>();
  readonly log = new MemoryLog();
  readonly metrics = new BrokerMetrics();
  readonly coordinator: GroupCoordinator;
  private version = 0;

  constructor(config: Partial<GroupCoordinatorConfig> = {}) {
    const logger = pino({ level: 'silent' });
    const offsets = new OffsetStore({ partitions: () => [{ log: this.log, leaderEpoch: 0, isLeader: true }], durable: true, clock: this.scheduler.clock, logger });
    this.coordinator = new GroupCoordinator({
      config: { ...TEST_GROUP_CONFIG, ...config },
      catalog: {
        version: () => this.version,
        partitionCount: (t) => this.topics.get(t),
        userTopics: () => [...this.topics.keys()].filter((t) => !t.startsWith('__')),
        highWatermark: (t, p) => (p < (this.topics.get(t) ?? 0) ? 100 : undefined),
      },
      offsets,
      assignors: builtInAssignors(),
      scheduler: this.scheduler,
      logger,
      metrics: this.metrics,
    });
  }

  async start(): Promise<this> {
    await this.coordinator.load();
    return this;
  }

  setTopic(name: string, partitions: number | undefined): void {
    if (partitions === undefined) this.topics.delete(name);
    else this.topics.set(name, partitions);
    this.version++;
  }

  heartbeat(init: ConsumerGroupHeartbeatRequestInit, conn?: MemberConnection): ConsumerGroupHeartbeatResponse {
    const res = this.coordinator.heartbeat(wire(Apis.ConsumerGroupHeartbeat.request, init), conn);
    return wire(Apis.ConsumerGroupHeartbeat.response, res);
  }

  member(options: SimMemberOptions, conn?: MemberConnection): SimMember {
    return new SimMember((req) => Promise.resolve(this.heartbeat(req, conn)), options);
  }

  state(groupId: string): string {
    return this.coordinator.group(groupId)?.state() ?? 'dead';
  }
}
