/**
 * 10,000 random and mutated frames at a live broker from several connections, while a
 * well-behaved client keeps producing and reading back. The broker must keep serving the good
 * client throughout and afterwards, and its data must be exactly what the good client wrote.
 */
import { Apis, BATCH_HEADER_SIZE, decodeRecords, encodeRequestFrame, iterateBatches } from '@strata/protocol';
import { testBroker } from './helpers/broker';
import { WireClient, batch, createTopic, produce } from './helpers/wire-client';

let seed = 0xc0ffee;
function rnd(n: number): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
}

function seeds(): Uint8Array[] {
  const h = (id: number) => ({ apiVersion: 0, correlationId: id, clientId: 'fuzzer' });
  return [
    encodeRequestFrame(Apis.ApiVersions, h(1), { clientSoftwareName: 'x' }),
    encodeRequestFrame(Apis.Metadata, h(2), { topics: ['fuzz-target'], allowAutoTopicCreation: false }),
    encodeRequestFrame(Apis.Produce, h(3), { acks: 1, timeoutMs: 1000, topics: [{ name: 'fuzz-target', partitions: [{ partition: 0, records: batch([{ key: 'k', value: 'v'.repeat(rnd(200)) }]) }] }] }),
    encodeRequestFrame(Apis.Fetch, h(4), { maxWaitMs: 1, minBytes: 1, maxBytes: 4096, topics: [{ name: 'fuzz-target', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 4096 }] }] }),
    encodeRequestFrame(Apis.ListOffsets, h(5), { topics: [{ name: 'fuzz-target', partitions: [{ partition: 0, timestamp: 5 }] }] }),
    encodeRequestFrame(Apis.DescribeTopics, h(6), { topics: ['fuzz-target'], includeConfigs: true }),
  ];
}

function mutate(src: Uint8Array): Uint8Array {
  const out = src.slice();
  for (let i = 1 + rnd(3); i > 0; i--) {
    switch (rnd(5)) {
      case 0:
        out[rnd(out.length)] = rnd(256);
        break;
      case 1:
        out[rnd(out.length)]! ^= 1 << rnd(8);
        break;
      case 2:
        return out.subarray(0, rnd(out.length));
      case 3:
        if (out.length > 12) new DataView(out.buffer, out.byteOffset).setInt32(10 + rnd(out.length - 13), [0x7fffffff, -1, -(2 ** 31), 65536][rnd(4)]!);
        break;
      default: {
        const grown = new Uint8Array(out.length + 1 + rnd(16));
        grown.set(out);
        for (let k = out.length; k < grown.length; k++) grown[k] = rnd(256);
        return grown;
      }
    }
  }
  return out;
}

describe('broker under 10,000 random and mutated frames', () => {
  it('keeps serving a well-behaved client throughout and afterwards, with its data intact', async () => {
    const broker = await testBroker();
    const good = await WireClient.connect(broker.url);
    await createTopic(good, 'well-behaved', 2);
    await createTopic(good, 'fuzz-target', 1);
    const written: string[] = [];
    let stop = false;
    const goodLoop = (async () => {
      let i = 0;
      while (!stop) {
        const value = `good-${i++}`;
        await produce(good, 'well-behaved', 0, [{ key: 'g', value }]);
        written.push(value);
      }
    })();

    let sent = 0;
    let reconnects = 0;
    let answered = 0;
    const fuzzers = Array.from({ length: 4 }, async () => {
      let conn = await WireClient.connect(broker.url, { handshake: false });
      while (sent < 10_000) {
        if (conn.closeCode !== null || rnd(20) === 0) {
          if (conn.closeCode !== null) reconnects++;
          await conn.close();
          conn = await WireClient.connect(broker.url, { handshake: false });
        }
        const frame = rnd(4) === 0 ? Uint8Array.from({ length: rnd(80) }, () => rnd(256)) : mutate(seeds()[rnd(6)]!);
        sent++;
        conn.sendRaw(frame);
        // A valid request behind it proves the broker processed the fuzz frame (requests are
        // handled in order) and either answered or closed the connection.
        try {
          await conn.request('ApiVersions', {});
          answered++;
        } catch {
          // closed by the broker after a malformed frame: reconnect on the next round
        }
      }
      await conn.close();
    });
    await Promise.all(fuzzers);
    stop = true;
    await goodLoop;

    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(reconnects).toBeGreaterThan(100); // the broker closed connections that sent malformed frames
    expect(answered).toBeGreaterThan(100); // and kept those that sent well-formed but wrong requests
    // Afterwards: still serving, and the good topic holds exactly what the good client wrote.
    await produce(good, 'well-behaved', 0, [{ key: 'g', value: 'after' }]);
    written.push('after');
    const res = await good.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 64 << 20, topics: [{ name: 'well-behaved', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 64 << 20 }] }] });
    const records = [...iterateBatches(res.topics[0]!.partitions[0]!.records)].flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header));
    expect(records.map((r) => new TextDecoder().decode(r.value!))).toEqual(written);
    expect(records.map((r) => r.offset)).toEqual(written.map((_, i) => i));
    expect(written.length).toBeGreaterThan(10);
    await good.close();
    await broker.cleanup();
  }, 120_000);
});
