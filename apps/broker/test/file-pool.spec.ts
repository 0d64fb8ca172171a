import { readdirSync } from 'node:fs';
import { BATCH_HEADER_SIZE, decodeRecords, iterateBatches } from '@strata/protocol';
import { Broker } from '../src';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('bounded open files', () => {
  it('serves 300 partitions with at most log.open.files.max segment files open', async () => {
    const { dir, cleanup } = tempDir();
    const maxOpen = 16;
    const baseline = openFds();
    const broker = await Broker.start({ dataDir: dir, port: 0, config: { 'log.open.files.max': maxOpen } });
    const client = await WireClient.connect(broker.url);
    try {
      await createTopic(client, 'wide', 300, { 'segment.bytes': '4096' });
      let peak = 0;
      for (let round = 0; round < 3; round++) {
        for (let p = 0; p < 300; p++) {
          await produce(client, 'wide', p, [{ key: `p${p}`, value: `round-${round}-${'z'.repeat(1500)}` }]);
          peak = Math.max(peak, broker.logs.files.size);
        }
      }
      expect(peak).toBeLessThanOrEqual(maxOpen + 2); // + the ones busy at the moment of eviction
      // A few sockets, the metadata files and libuv's own descriptors, but not 300+ segments.
      expect(openFds() - baseline).toBeLessThan(maxOpen + 40);
      // Every partition still reads back in full through reopened files and reloaded indexes
      // (a fetch returns data from one segment: read on until the high watermark).
      for (let partition = 0; partition < 300; partition++) {
        const values: string[] = [];
        let offset = 0;
        while (offset < 3) {
          const res = await client.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, topics: [{ name: 'wide', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }] });
          const recs = [...iterateBatches(res.topics[0]!.partitions[0]!.records)].flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header));
          expect(recs.length).toBeGreaterThan(0);
          for (const r of recs) values.push(new TextDecoder().decode(r.value!).slice(0, 7));
          offset = recs[recs.length - 1]!.offset + 1;
        }
        expect(values).toEqual(['round-0', 'round-1', 'round-2']);
      }
      expect(broker.logs.files.size).toBeLessThanOrEqual(maxOpen + 2);
    } finally {
      await client.close();
      await broker.close();
      cleanup();
    }
  });
});
