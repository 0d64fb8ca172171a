/**
 * Random and mutated input against every decoder: each must either decode or throw a
 * StrataProtocolError; never another exception, never a hang, never a read outside its input.
 */
import {
  Apis,
  BATCH_HEADER_SIZE,
  RecordBatchBuilder,
  StrataProtocolError,
  allApis,
  decodeMessage,
  decodeRecords,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  iterateBatches,
  resolveApi,
  validateBatch,
} from '../src';

let seed = 0x5eed;
function rnd(n: number): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
}

function mutate(src: Uint8Array): Uint8Array {
  const out = src.slice();
  const ops = 1 + rnd(4);
  for (let i = 0; i < ops; i++) {
    switch (rnd(4)) {
      case 0:
        if (out.length) out[rnd(out.length)] = rnd(256);
        break;
      case 1:
        if (out.length) out[rnd(out.length)]! ^= 1 << rnd(8);
        break;
      case 2:
        return out.subarray(0, rnd(out.length + 1));
      default:
        if (out.length > 4) new DataView(out.buffer, out.byteOffset).setInt32(rnd(out.length - 3), [0x7fffffff, -1, -(2 ** 31), 0][rnd(4)]!);
    }
  }
  return out;
}

function onlyTypedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof StrataProtocolError)) throw e;
  }
}

function sampleBatch(): Uint8Array {
  const b = new RecordBatchBuilder({ initialCapacity: 256 });
  for (let i = 0; i < 1 + rnd(5); i++) b.append({ key: rnd(2) ? `k${i}` : null, value: 'v'.repeat(rnd(40)), headers: rnd(2) ? [{ key: 'h', value: 'x' }] : [], timestamp: 1e12 + rnd(1000) });
  return b.build();
}

describe('decoders under random and mutated input', () => {
  it('survive 10,000 mutated record batches', () => {
    for (let i = 0; i < 10_000; i++) {
      const bytes = mutate(sampleBatch());
      onlyTypedErrors(() => {
        for (const v of iterateBatches(bytes, { validate: i % 2 === 0 })) decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header);
      });
      onlyTypedErrors(() => validateBatch(bytes));
    }
  });

  it('survive 10,000 random and mutated request frames through header, API lookup and body decoding', () => {
    const valid = [
      encodeRequestFrame(Apis.Produce, { apiVersion: 0, correlationId: 1, clientId: 'c' }, { acks: 1, topics: [{ name: 't', partitions: [{ partition: 0, records: sampleBatch() }] }] }),
      encodeRequestFrame(Apis.Fetch, { apiVersion: 0, correlationId: 2, clientId: null }, { topics: [{ name: 't', partitions: [{ partition: 0, fetchOffset: 5 }] }] }),
      encodeRequestFrame(Apis.CreateTopics, { apiVersion: 0, correlationId: 3, clientId: 'c' }, { topics: [{ name: 'x', numPartitions: 3, configs: [{ name: 'a', value: 'b' }] }] }),
    ];
    const apis = allApis();
    for (let i = 0; i < 10_000; i++) {
      const frame = i % 3 === 0 ? Uint8Array.from({ length: rnd(64) }, () => rnd(256)) : mutate(valid[rnd(valid.length)]!);
      onlyTypedErrors(() => {
        const { header, body } = decodeRequestFrame(frame, 1 << 20);
        const api = resolveApi(header);
        decodeMessage(api.request, body);
      });
      // every body decoder, whatever the frame said
      onlyTypedErrors(() => decodeMessage(apis[rnd(apis.length)]!.request, frame));
      onlyTypedErrors(() => decodeMessage(apis[rnd(apis.length)]!.response, frame));
      onlyTypedErrors(() => decodeResponseFrame(frame));
    }
  });
});
