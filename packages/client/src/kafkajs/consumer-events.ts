/**
 * The KafkaJS consumer events and the SDK events they come from. Payload differences from KafkaJS,
 * documented in docs/migrating-from-kafkajs.md: GROUP_JOIN and REBALANCING follow each assignment
 * change the broker makes (`isLeader` is false, `duration` 0: there is no client-side leader);
 * FETCH's `numberOfBatches` counts partitions; RECEIVED_UNSUBSCRIBED_TOPICS never fires (the broker
 * assigns subscribed topics only); CRASH is emitted by the layer itself, after deciding on a restart.
 */
import type { Buffer } from 'node:buffer';
import type { Consumer as StrataConsumer } from '../consumer/consumer';
import type { TopicPartition } from '../consumer/subscription-state';
import { LOCAL, networkRoutes, nullPayload, QUEUE_SIZE, type Routes } from './events';

/** Emits KafkaJS's CRASH event. */
export interface CrashEmitter {
  emit(payload: { error: Error; groupId: string; restart: boolean }): void;
}

interface BatchInfo {
  topic: string;
  partition: number;
  highWatermark: number;
  offsetLag: number;
  batchSize: number;
  firstOffset: number;
  lastOffset: number;
  durationMs?: number;
}

function batchPayload(p: BatchInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    topic: p.topic,
    partition: p.partition,
    highWatermark: String(p.highWatermark),
    offsetLag: String(p.offsetLag),
    offsetLagLow: String(Math.max(0, p.highWatermark - 1 - p.firstOffset)),
    batchSize: p.batchSize,
    firstOffset: String(p.firstOffset),
    lastOffset: String(p.lastOffset),
  };
  if (p.durationMs !== undefined) out['duration'] = p.durationMs;
  return out;
}

function byTopic(list: readonly TopicPartition[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const tp of list) (out[tp.topic] ??= []).push(tp.partition);
  return out;
}

export function consumerRoutes(clientId: string, groupId: string, current: () => StrataConsumer<Buffer>): Routes {
  const memberId = (): string => current().groupMember()?.memberId ?? '';
  const routes: Routes = {
    HEARTBEAT: { from: 'consumer.heartbeat', payload: (p: { memberId: string; memberEpoch: number }) => ({ groupId, memberId: p.memberId, groupGenerationId: p.memberEpoch }) },
    COMMIT_OFFSETS: {
      from: 'consumer.commit',
      payload: (p: { memberEpoch: number; offsets: Array<{ topic: string; partition: number; offset: number }>; error: Error | null }) => {
        if (p.error !== null || p.offsets.length === 0) return undefined;
        const topics = new Map<string, Array<{ partition: number; offset: string }>>();
        for (const o of p.offsets) (topics.get(o.topic) ?? topics.set(o.topic, []).get(o.topic)!).push({ partition: o.partition, offset: String(o.offset) });
        return { groupId, memberId: memberId(), groupGenerationId: p.memberEpoch, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
      },
    },
    GROUP_JOIN: {
      from: 'consumer.rebalance',
      payload: (p: { memberEpoch: number }) => ({
        duration: 0,
        groupId,
        isLeader: false,
        leaderId: '',
        groupProtocol: 'consumer',
        memberId: memberId(),
        memberAssignment: byTopic(current().assignment()),
        groupGenerationId: p.memberEpoch,
      }),
    },
    FETCH_START: { from: 'consumer.fetch_start', payload: (p: { nodeId: number }) => ({ nodeId: p.nodeId }) },
    FETCH: { from: 'consumer.fetch', payload: (p: { nodeId: number; partitions: number; durationMs: number }) => ({ numberOfBatches: p.partitions, duration: p.durationMs, nodeId: p.nodeId }) },
    START_BATCH_PROCESS: { from: 'consumer.start_batch_process', payload: (p: BatchInfo) => batchPayload(p) },
    END_BATCH_PROCESS: { from: 'consumer.end_batch_process', payload: (p: BatchInfo) => batchPayload(p) },
    CONNECT: { from: 'consumer.connect', payload: nullPayload },
    DISCONNECT: { from: 'consumer.disconnect', payload: nullPayload },
    STOP: { from: 'consumer.stop', payload: nullPayload },
    CRASH: LOCAL,
    REBALANCING: { from: 'consumer.rebalance', payload: () => ({ groupId, memberId: memberId() }) },
    RECEIVED_UNSUBSCRIBED_TOPICS: null,
    ...networkRoutes(clientId),
    REQUEST_QUEUE_SIZE: QUEUE_SIZE,
  };
  return routes;
}
