/**
 * A client that stops reading cannot make the broker buffer without bound: once
 * connection.max.buffered.bytes of responses wait for it, the broker stops reading that
 * client's requests; when the client reads again, every request is answered.
 */
import type { Socket } from 'node:net';
import { Broker } from '../src';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

async function fetchesHandled(broker: Broker): Promise<number> {
  const metric = await broker.metrics.requests.get();
  return metric.values.filter((v) => v.labels.api === 'Fetch').reduce((n, v) => n + v.value, 0);
}

describe('slow consumers', () => {
  it('stop being read once their unread responses reach connection.max.buffered.bytes', async () => {
    const { dir, cleanup } = tempDir();
    const broker = await Broker.start({ dataDir: dir, port: 0, config: { 'connection.max.buffered.bytes': 1024 * 1024 } });
    const writer = await WireClient.connect(broker.url);
    const slow = await WireClient.connect(broker.url);
    try {
      await createTopic(writer, 'big', 1, { 'max.message.bytes': String(2 * 1024 * 1024) });
      for (let i = 0; i < 8; i++) await produce(writer, 'big', 0, [{ value: 'x'.repeat(500 * 1024) }], 1);
      // The slow client pipelines 200 fetches of ~1 MiB each and reads nothing.
      slow.ws.pause();
      const answered: Array<Promise<unknown>> = [];
      const sent = 200;
      // All requests in one TCP write, so the broker reads them in one chunk (as a loaded machine
      // does by chance): pausing the socket alone would not stop it handling them all.
      // ws keeps its net.Socket in the untyped `_socket` field.
      const socket = (slow.ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      for (let i = 0; i < sent; i++) {
        answered.push(slow.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [{ name: 'big', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }));
      }
      socket.uncork();
      // Let the broker do all it is willing to do (its count stops growing).
      let last = -1;
      let handled = await fetchesHandled(broker);
      while (handled !== last) {
        last = handled;
        await new Promise((r) => setTimeout(r, 300));
        handled = await fetchesHandled(broker);
      }
      // Far fewer than sent: the broker stopped reading once responses piled up (the kernel's
      // socket buffers hold a few more), instead of buffering ~200 MiB of responses.
      expect(handled).toBeGreaterThan(0);
      expect(handled).toBeLessThan(40);
      // The writer's connection is unaffected.
      expect(await produce(writer, 'big', 0, [{ value: 'still served' }], 1)).toBe(8);
      // Reading again drains everything.
      slow.ws.resume();
      await Promise.all(answered);
      expect(await fetchesHandled(broker)).toBeGreaterThanOrEqual(sent);
    } finally {
      await slow.close();
      await writer.close();
      await broker.close();
      cleanup();
    }
  }, 120_000);
});
