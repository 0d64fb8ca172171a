/**
 * One request between being queued on a connection and its response (or failure). Owns its promise
 * callbacks and its timeout timer; settles at most once.
 */
import type { MessageCodec } from '@strata/protocol';
import type { TimerHandle } from '../clock';

export class PendingRequest {
  settled = false;
  timer: TimerHandle = undefined;
  /** Time the request was written to the transport. */
  sentAt = 0;
  /** Frames the connection had received when this request was written; -1 until written. */
  framesAtSend = -1;

  constructor(
    readonly correlationId: number,
    readonly apiName: string,
    readonly apiVersion: number,
    /** Decoder of the response body; null when no response is expected. */
    readonly codec: MessageCodec<unknown, unknown> | null,
    /** The encoded frame; released once written. */
    public frame: Uint8Array | null,
    readonly frameBytes: number,
    readonly timeoutMs: number,
    private readonly onResolve: (value: unknown) => void,
    private readonly onReject: (error: Error) => void,
  ) {}

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.onResolve(value);
  }

  reject(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.onReject(error);
  }
}
