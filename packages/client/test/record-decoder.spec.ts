import { CompressionCodec as Codec, RecordBatchBuilder } from '@strata/protocol';
import { CodecRegistry, platformGzip, StrataError, uint8ArrayView } from '../src';
import { nextOffsetAfter, RecordDecoder } from '../src/consumer/record-decoder';

const T0 = 1_700_000_000_000;

function batch(baseOffset: number, values: Array<string | null>, keys: Array<string | null> = []): Uint8Array {
  const b = new RecordBatchBuilder();
  values.forEach((v, i) => b.append({ key: keys[i] ?? null, value: v, timestamp: T0 + i }));
  const out = b.build().slice();
  new DataView(out.buffer).setBigInt64(0, BigInt(baseOffset));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

const gzip = platformGzip()!;

describe('RecordDecoder', () => {
  const decoder = new RecordDecoder(new CodecRegistry([gzip]), true, uint8ArrayView);

  it('decodes batches into messages, skipping records below the fetch offset', async () => {
    const bytes = concat(batch(10, ['a', 'b', 'c']), batch(13, ['d', null]));
    const messages = await decoder.decode('t', 2, bytes, 11);
    expect(messages.map((m) => [m.topic, m.partition, m.offset, m.valueString()])).toEqual([
      ['t', 2, 11, 'b'],
      ['t', 2, 12, 'c'],
      ['t', 2, 13, 'd'],
      ['t', 2, 14, null],
    ]);
    expect(messages[0]!.timestamp).toBe(T0 + 1);
    expect(messages[3]!.value).toBeNull();
  });

  it('ignores a partial batch at the end and finds the next fetch offset after the last whole one', async () => {
    const whole = batch(0, ['x', 'y']);
    const bytes = concat(whole, batch(2, ['z']).subarray(0, 30));
    expect(nextOffsetAfter(bytes)).toEqual({ nextOffset: 2, completeBytes: whole.length });
    expect(nextOffsetAfter(bytes.subarray(0, 20))).toBeNull();
    expect((await decoder.decode('t', 0, bytes, 0)).map((m) => m.offset)).toEqual([0, 1]);
  });

  it('rejects a batch whose CRC does not match', async () => {
    const bytes = batch(0, ['intact']);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await expect(decoder.decode('t', 0, bytes, 0)).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
    await expect(new RecordDecoder(new CodecRegistry(), false, uint8ArrayView).decode('t', 0, batch(0, ['ok']), 0)).resolves.toHaveLength(1);
  });

  it('decompresses gzip batches through the codec registry', async () => {
    const b = new RecordBatchBuilder();
    b.append({ key: 'k', value: 'compressed value', headers: [{ key: 'h', value: 'hv' }], timestamp: T0 });
    b.append({ key: null, value: '', timestamp: T0 + 1 });
    const compressed = b.buildCompressed(await gzip.compress(b.recordsSection()), Codec.Gzip);
    const messages = await decoder.decode('t', 0, compressed, 0);
    expect(messages.map((m) => [m.keyString(), m.valueString(), m.headerString('h')])).toEqual([
      ['k', 'compressed value', 'hv'],
      [null, '', undefined],
    ]);
  });

  it('refuses a codec it has no decompressor for with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const b = new RecordBatchBuilder();
    b.append({ value: 'v', timestamp: T0 });
    const lz4 = b.buildCompressed(b.recordsSection().slice(), Codec.Lz4);
    const error = await decoder.decode('t', 0, lz4, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_COMPRESSION_TYPE', retriable: false });
    expect((error as Error).message).toMatch(/lz4/);
  });

  it('reports undecompressable gzip data as CORRUPT_MESSAGE', async () => {
    const b = new RecordBatchBuilder();
    b.append({ value: 'v', timestamp: T0 });
    const bogus = b.buildCompressed(new Uint8Array([1, 2, 3, 4, 5]), Codec.Gzip);
    await expect(decoder.decode('t', 0, bogus, 0)).rejects.toMatchObject({ code: 'CORRUPT_MESSAGE' });
  });
});
