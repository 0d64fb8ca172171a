/**
 * Bytes on the wire per record: the WebSocket messages of one API (request or response frames)
 * counted from the SDK's `connection.request` events, plus each message's WebSocket header (2
 * bytes, +2 or +8 for the length, +4 for the mask of client-to-server messages). TCP/IP headers
 * are not counted.
 */
import type { EventListener } from '@strata/client';

interface RequestEvent {
  apiName: string;
  requestBytes: number;
  responseBytes: number;
}

/** WebSocket header bytes of a binary message of `length` bytes. */
export function webSocketHeaderBytes(length: number, masked: boolean): number {
  return 2 + (length >= 65536 ? 8 : length >= 126 ? 2 : 0) + (masked ? 4 : 0);
}

export class WireCounter {
  messages = 0;
  bytes = 0;

  constructor(
    private readonly apiName: string,
    private readonly direction: 'request' | 'response',
  ) {}

  readonly listener: EventListener<RequestEvent> = ({ payload }) => {
    if (payload.apiName !== this.apiName) return;
    const n = this.direction === 'request' ? payload.requestBytes : payload.responseBytes;
    this.messages++;
    this.bytes += n + webSocketHeaderBytes(n, this.direction === 'request');
  };
}

/** Quota throttles the broker reported (`connection.throttle` events): how many, and their total time. */
export class ThrottleCounter {
  responses = 0;
  ms = 0;

  readonly listener: EventListener<{ throttleMs: number }> = ({ payload }) => {
    this.responses++;
    this.ms += payload.throttleMs;
  };
}
