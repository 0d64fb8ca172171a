import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiKey,
  Apis,
  StrataProtocolError,
  decodeErrorResponse,
  decodeMessage,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeErrorResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  resolveApi,
  ErrorCode,
} from '../src';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StrataProtocolError);
    return (e as StrataProtocolError).code;
  }
  throw new Error('expected a StrataProtocolError');
}

describe('request frames', () => {
  it('round-trips header and body', () => {
    const frame = encodeRequestFrame(Apis.Metadata, { apiVersion: 0, correlationId: 77, clientId: 'my-app' }, { topics: ['a', 'b'] });
    const { header, body } = decodeRequestFrame(frame);
    expect(header).toEqual({ apiKey: ApiKey.Metadata, apiVersion: 0, correlationId: 77, clientId: 'my-app' });
    const api = resolveApi(header);
    expect(api.name).toBe('Metadata');
    expect(decodeMessage(Apis.Metadata.request, body).topics).toEqual(['a', 'b']);
  });

  it('carries a null client id and negative correlation ids', () => {
    const frame = encodeRequestFrame(Apis.ApiVersions, { apiVersion: 0, correlationId: -5, clientId: null }, {});
    expect(decodeRequestFrame(frame).header).toMatchObject({ correlationId: -5, clientId: null });
  });

  it('rejects every truncation of the header as MALFORMED_FRAME', () => {
    const frame = encodeRequestFrame(Apis.Metadata, { apiVersion: 0, correlationId: 1, clientId: 'client-id' }, {});
    for (let len = 0; len < 10 + 'client-id'.length; len++) {
      expect(codeOf(() => decodeRequestFrame(frame.subarray(0, len)))).toBe('MALFORMED_FRAME');
    }
  });

  it('rejects a client id length beyond the frame or below -1', () => {
    const frame = encodeRequestFrame(Apis.Metadata, { apiVersion: 0, correlationId: 1, clientId: 'x' }, {});
    const view = new DataView(frame.buffer, frame.byteOffset);
    view.setInt16(8, 500);
    expect(codeOf(() => decodeRequestFrame(frame))).toBe('MALFORMED_FRAME');
    view.setInt16(8, -2);
    expect(codeOf(() => decodeRequestFrame(frame))).toBe('MALFORMED_FRAME');
  });

  it('rejects frames over the size limit with FRAME_TOO_LARGE', () => {
    const frame = encodeRequestFrame(Apis.Produce, { apiVersion: 0, correlationId: 1, clientId: null }, { topics: [{ name: 't', partitions: [{ partition: 0, records: new Uint8Array(2000) }] }] });
    expect(codeOf(() => decodeRequestFrame(frame, 1024))).toBe('FRAME_TOO_LARGE');
  });

  it('names unknown API keys and unsupported versions', () => {
    expect(codeOf(() => resolveApi({ apiKey: 999, apiVersion: 0 }))).toBe('UNKNOWN_API_KEY');
    expect(codeOf(() => resolveApi({ apiKey: ApiKey.Fetch, apiVersion: 99 }))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => resolveApi({ apiKey: ApiKey.Fetch, apiVersion: -1 }))).toBe('UNSUPPORTED_VERSION');
  });

  it('turns a body that is not protobuf into INVALID_REQUEST', () => {
    for (const junk of [[0x0a, 0xff], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x0f], [0x12, 0x05, 0x01]]) {
      expect(codeOf(() => decodeMessage(Apis.Fetch.request, Uint8Array.from(junk)))).toBe('INVALID_REQUEST');
    }
  });
});

describe('response frames', () => {
  it('round-trips a successful response', () => {
    const frame = encodeResponseFrame(Apis.ListOffsets, 9, { topics: [{ name: 't', partitions: [{ partition: 2, offset: 2 ** 40, timestamp: -1 }] }] });
    const decoded = decodeResponseFrame(frame);
    expect(decoded.correlationId).toBe(9);
    expect(decoded.errorCode).toBe(0);
    const body = decodeMessage(Apis.ListOffsets.response, decoded.body);
    expect(body.topics[0]!.partitions[0]).toMatchObject({ partition: 2, offset: 2 ** 40, timestamp: -1, errorCode: 0 });
    expect(typeof body.topics[0]!.partitions[0]!.offset).toBe('number');
  });

  it('carries a request-level error with its message', () => {
    const frame = encodeErrorResponseFrame(3, ErrorCode.UNSUPPORTED_VERSION, 'Fetch version 9 is not supported');
    const decoded = decodeResponseFrame(frame);
    expect(decoded).toMatchObject({ correlationId: 3, errorCode: 35 });
    expect(decodeErrorResponse(decoded.body)).toMatchObject({ errorCode: 35, message: 'Fetch version 9 is not supported' });
  });

  it('rejects a response shorter than its header', () => {
    expect(codeOf(() => decodeResponseFrame(new Uint8Array(5)))).toBe('MALFORMED_FRAME');
  });

  it('decodes 64-bit fields absent from the wire as the number 0, not a Long', () => {
    const frame = encodeResponseFrame(Apis.Produce, 1, { topics: [{ name: 't', partitions: [{ partition: 0, baseOffset: 0 }] }] });
    const body = decodeMessage(Apis.Produce.response, decodeResponseFrame(frame).body);
    expect(body.topics[0]!.partitions[0]!.baseOffset).toBe(0);
  });
});

describe('docs/protocol.md', () => {
  it('shows the exact bytes of its Metadata request example', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
    const line = doc.split('\n').find((l) => l.startsWith('00 03 00 00 00 00 00 4d'))!;
    const frame = encodeRequestFrame(Apis.Metadata, { apiVersion: 0, correlationId: 77, clientId: 'my-app' }, { topics: ['a'] });
    expect(Buffer.from(frame).toString('hex').match(/../g)!.join(' ')).toBe(line.trim());
  });
});
