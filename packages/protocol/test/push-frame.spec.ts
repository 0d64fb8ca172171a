import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUSH_CORRELATION_ID, decodePush, decodeResponseFrame, encodePushFrame, encodeResponseFrame, Apis } from '../src';
import { expectGolden } from './golden';

describe('push frames', () => {
  const push = { groupChanged: { groupId: 'g1', memberId: 'm-1', groupEpoch: 7 } };

  it('are response frames with correlation id -1 and a Push body (golden bytes)', () => {
    const frame = encodePushFrame(push);
    expectGolden('push-group-changed.hex', frame);
    const header = decodeResponseFrame(frame);
    expect(header.correlationId).toBe(PUSH_CORRELATION_ID);
    expect(header.errorCode).toBe(0);
    expect(decodePush(header.body)).toEqual(push);
  });

  it('match the example in docs/protocol.md', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'protocol.md'), 'utf8');
    const line = doc.split('\n').find((l) => l.startsWith('ff ff ff ff'))!;
    expect(Buffer.from(encodePushFrame(push)).toString('hex').match(/../g)!.join(' ')).toBe(line.trim());
  });

  it('encode response frames into a buffer the caller provides, every byte written', () => {
    const provided: number[] = [];
    const frame = encodeResponseFrame(Apis.FindCoordinator, 5, { coordinators: [{ key: 'g', nodeId: 1, url: 'ws://x', errorCode: 0 }] }, (size) => {
      provided.push(size);
      return new Uint8Array(size).fill(0xee);
    });
    expect(provided).toEqual([frame.length]);
    expect(frame).toEqual(encodeResponseFrame(Apis.FindCoordinator, 5, { coordinators: [{ key: 'g', nodeId: 1, url: 'ws://x', errorCode: 0 }] }));
  });
});
