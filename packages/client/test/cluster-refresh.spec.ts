/**
 * Concurrent metadata refreshes of one topic share one request and its outcome: when that request
 * fails (a broker restarting), every caller gets the failure — a retriable connection error — and
 * none concludes that the topic does not exist. And a topic this client has seen answered as
 * unknown is retried (a restarting or lagging broker), not believed at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createCluster, createContext } from '../src/client-context';
import { resolveClientOptions } from '../src/config/client-options';
import type { Cluster } from '../src/cluster/cluster';
import { InstrumentationEmitter } from '../src/instrumentation';
import type { ConnectionEvents } from '../src/network/connection-events';
import { RETRY_DEFAULTS } from '../src/retry';
import { wsTransport } from '../src/transport/ws-transport';
import { bufferView } from '../src/consumer/node-bytes-view';
import { silentLogger } from '../src';
import { startTestBroker, testClient, uniqueTopic, type TestBroker } from './helpers/test-broker';

function clusterFor(url: string): Cluster {
  const options = resolveClientOptions({ brokers: [url], clientId: 'refresh-test', logger: silentLogger, connectionTimeoutMs: 2000, requestTimeoutMs: 2000 });
  const ctx = createContext(options, wsTransport(), [], bufferView);
  return createCluster(ctx, { events: new InstrumentationEmitter<ConnectionEvents>(ctx.clock, ctx.logger), retry: RETRY_DEFAULTS, allowAutoTopicCreation: false });
}

describe('metadata refreshes', () => {
  let broker: TestBroker;
  let topic: string;

  beforeEach(async () => {
    broker = await startTestBroker();
    topic = uniqueTopic('refresh');
    const admin = testClient(broker.url).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
  });
  afterEach(async () => {
    await broker.stop();
  });

  it('gives every caller sharing a failed refresh the retriable failure, never "unknown topic"', async () => {
    const cluster = clusterFor(broker.url);
    await cluster.connect();
    await cluster.topicMetadata(topic); // known, cached
    // The broker goes away; something on its port accepts and drops connections after a while.
    await broker.close();
    const sockets = new Set<Socket>();
    const limbo: Server = createServer((s) => {
      sockets.add(s);
      setTimeout(() => s.destroy(), 100);
    });
    await new Promise<void>((resolve) => limbo.listen(Number(new URL(broker.url).port), '127.0.0.1', resolve));
    try {
      cluster.invalidate(topic);
      // The sender's refresh first, then a lookup that joins it while it is in flight.
      const refresh = cluster.refreshMetadata([topic]);
      const lookup = cluster.topicMetadata(topic);
      const outcomes = await Promise.allSettled([refresh, lookup]);
      for (const o of outcomes) {
        expect(o.status).toBe('rejected');
        const error = (o as PromiseRejectedResult).reason as { code: string; retriable: boolean };
        expect(error.code).not.toBe('UNKNOWN_TOPIC_OR_PARTITION');
        expect(error.retriable).toBe(true);
      }
    } finally {
      cluster.disconnect();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => limbo.close(() => resolve()));
    }
  });

  it('treats "unknown topic" about a topic it has seen as retriable, and about one it never saw as final', async () => {
    const cluster = clusterFor(broker.url);
    await cluster.connect();
    await cluster.topicMetadata(topic);
    // Deleted behind this client's back (by another client): the next answer says unknown.
    const admin = testClient(broker.url).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    cluster.invalidate(topic);
    const known = await cluster.topicMetadata(topic).then(
      () => null,
      (e: { code: string; retriable: boolean }) => e,
    );
    expect(known).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    const never = await cluster.topicMetadata(uniqueTopic('never')).then(
      () => null,
      (e: { code: string; retriable: boolean }) => e,
    );
    expect(never).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: false });
    cluster.forgetTopic(topic);
    const forgotten = await cluster.topicMetadata(topic).then(
      () => null,
      (e: { code: string; retriable: boolean }) => e,
    );
    expect(forgotten).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: false });
    cluster.disconnect();
  });
});
