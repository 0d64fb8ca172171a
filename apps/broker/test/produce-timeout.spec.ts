/**
 * Produce's timeoutMs: a partition whose acknowledgement (here: a durable write whose fsync never
 * finishes) does not come in time is answered REQUEST_TIMED_OUT, naming it, with no offset; a
 * partition acknowledged in time in the same request (an idempotent retry of a batch already
 * fsynced) keeps its offset.
 */
import fs = require('node:fs');
import { ErrorCode } from '@strata/protocol';
import { testBroker } from './helpers/broker';
import { WireClient, batch, createTopic } from './helpers/wire-client';

describe('produce timeout', () => {
  it('answers REQUEST_TIMED_OUT for each partition not acknowledged within timeoutMs, and only for those', async () => {
    const broker = await testBroker({ config: { durability: 'fsync', 'log.cleaner.enable': false } });
    const client = await WireClient.connect(broker.url);
    const held: Array<() => void> = [];
    try {
      await createTopic(client, 'slow', 2);
      const retried = () => batch([{ value: 'first' }], { producerId: 1, producerEpoch: 0, baseSequence: 0 });
      const first = await client.request('Produce', { acks: -1, timeoutMs: 30000, topics: [{ name: 'slow', partitions: [{ partition: 1, records: retried() }] }] });
      expect(first.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
      // From now on fsyncs hang until released: partition 0's durable write cannot be acknowledged.
      const original = fs.fdatasync;
      const spy = jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
        held.push(() => original(fd, cb));
      }) as typeof fs.fdatasync);
      const res = await client.request('Produce', {
        acks: -1,
        timeoutMs: 300,
        topics: [{ name: 'slow', partitions: [{ partition: 0, records: batch([{ value: 'stuck' }]) }, { partition: 1, records: retried() }] }],
      });
      spy.mockRestore();
      const [p0, p1] = res.topics[0]!.partitions;
      expect(p0).toMatchObject({ partition: 0, errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1 });
      expect(p0!.errorMessage).toMatch(/produce to slow-0 not acknowledged within 300 ms/);
      expect(p1).toMatchObject({ partition: 1, errorCode: 0, baseOffset: 0 });
    } finally {
      for (const release of held.splice(0)) release();
      client.close();
      await broker.cleanup();
    }
  });
});
