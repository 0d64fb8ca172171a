/**
 * encodeSized writes exactly protobufjs's bytes, into a buffer of exactly their size, for
 * messages with large and nested bytes (multi-byte lengths at every level), packed repeated
 * fields, negative and 64-bit integers, and non-ASCII strings.
 */
import { Writer } from 'protobufjs/minimal';
import { strata } from '../src/generated/messages';
import { encodeSized } from '../src/sized-writer';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function same(encode: (w: Writer) => Writer, prefix?: Uint8Array): void {
  const expected = encode(Writer.create()).finish();
  const withPrefix = prefix ? new Uint8Array([...prefix, ...expected]) : expected;
  const got = encodeSized(encode, prefix);
  expect(got.length).toBe(withPrefix.length);
  expect(got.buffer.byteLength).toBe(withPrefix.length); // exactly sized, not a view of something larger
  expect(Buffer.from(got).equals(Buffer.from(withPrefix))).toBe(true);
}

describe('encodeSized', () => {
  it('matches protobufjs for Produce requests with small and large record bytes across topics and partitions', () => {
    for (const sizes of [[0], [1], [127], [128], [16_383], [16_384], [300_000, 5, 70_000], [2_100_000]]) {
      const msg = {
        acks: -1,
        timeoutMs: 30_000,
        transactionalId: '',
        topics: [
          { name: 'orders', partitions: sizes.map((n, i) => ({ partition: i, records: bytes(n, i) })) },
          { name: 'παραγγελίες-ünïcödé', partitions: [{ partition: 7, records: bytes(200, 9) }] },
        ],
      };
      same((w) => strata.v1.ProduceRequest.encode(msg, w), new Uint8Array([0, 0, 0, 1, 0, 0, 0, 42, 0xff, 0xff]));
    }
  });

  it('matches protobufjs for Fetch responses with 64-bit offsets, errors and negative values', () => {
    const msg = {
      errorCode: 0,
      throttleMs: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partition: 0, errorCode: 0, highWatermark: 2 ** 40 + 3, lastStableOffset: 2 ** 40 + 3, logStartOffset: 0, records: bytes(1_000_000, 1) },
            { partition: 1, errorCode: 1, errorMessage: 'offset 5 is outside [7, 9]', highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: new Uint8Array(0) },
          ],
        },
      ],
    };
    same((w) => strata.v1.FetchResponse.encode(msg, w), new Uint8Array([0, 0, 0, 9, 0, 0]));
  });

  it('matches protobufjs for packed repeated fields and empty messages', () => {
    const metadata = {
      brokers: [{ nodeId: 1, url: 'ws://127.0.0.1:9092', rack: '' }],
      clusterId: 'c-1',
      controllerId: -1,
      topics: [{ errorCode: 0, name: 'orders', isInternal: false, partitions: [{ errorCode: 0, partition: 0, leaderId: 1, leaderEpoch: 0, replicas: [1, 200, -5, 70_000], isr: [] }], maxMessageBytes: 1048588 }],
    };
    same((w) => strata.v1.MetadataResponse.encode(metadata, w));
    same((w) => strata.v1.FetchResponse.encode({}, w));
  });
});
