/**
 * Helpers for consumer-group behaviour tests: a broker with quick group timings, group members
 * that record what they process, and a steady producer.
 */
import type { ConfigInput } from '@strata/broker';
import type { Consumer, ConsumerOptions, EachMessagePayload, Strata } from '../../src';
import { startTestBroker, testClient, type TestBroker } from './test-broker';

/** Broker settings that let groups react in tenths of seconds instead of seconds. */
export const QUICK_GROUPS: ConfigInput = {
  durability: 'async',
  'group.consumer.heartbeat.interval.ms': 300,
  'group.consumer.reconciling.heartbeat.interval.ms': 50,
  'group.consumer.min.session.timeout.ms': 500,
};

export interface GroupEnv {
  broker: TestBroker;
  strata: Strata;
  /** A connected consumer, disconnected by cleanup(). */
  consumer(options: ConsumerOptions): Promise<Consumer>;
  createTopic(topic: string, partitions: number): Promise<void>;
  produce(topic: string, messages: ReadonlyArray<{ key?: string; value: string; partition?: number }>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startGroupEnv(config: ConfigInput = {}): Promise<GroupEnv> {
  const broker = await startTestBroker({ ...QUICK_GROUPS, ...config });
  const strata = testClient(broker.url);
  const consumers: Consumer[] = [];
  const admin = strata.admin();
  await admin.connect();
  const producer = strata.producer({ lingerMs: 0 });
  await producer.connect();
  return {
    broker,
    strata,
    async consumer(options) {
      const c = strata.consumer(options);
      consumers.push(c);
      await c.connect();
      return c;
    },
    async createTopic(topic, partitions) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    },
    async produce(topic, messages) {
      await producer.send({ topic, messages: [...messages] });
    },
    async cleanup() {
      await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
      await producer.disconnect();
      await admin.disconnect();
      await broker.stop();
    },
  };
}

/** What one member processed: per partition, the offsets in processing order. */
export class ProcessedLog {
  readonly byPartition = new Map<number, number[]>();
  count = 0;

  record({ partition, message }: Pick<EachMessagePayload, 'partition' | 'message'>): void {
    let list = this.byPartition.get(partition);
    if (!list) this.byPartition.set(partition, (list = []));
    list.push(message.offset);
    this.count++;
  }
}
