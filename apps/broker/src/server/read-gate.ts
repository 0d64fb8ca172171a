/**
 * ReadGate: decides when one connection reads its socket, and keeps its accounts of the bytes it
 * holds, per connection and in the broker-wide RequestMemoryPool.
 *
 * Accounts (bytes):
 * - responses: response frames queued and not yet written to the socket;
 * - fetchReserved: the maxBytes of fetches in progress (what they may still answer with);
 * - requests: request frames that arrived whole and are waiting or being handled;
 * - admitted: frames whose header was read and admitted, whose message has not arrived whole yet;
 * - pending: frames whose header was read but that wait for room (per connection or in the pool).
 * requests + admitted (and the bytes of pending frames that arrived anyway in the same read) are
 * taken from the pool; responses too.
 *
 * A frame is admitted when the pool has room (first frame of a message) and, unless the connection
 * holds nothing else, responses + fetchReserved + requests + the message + the frame fit in
 * connection.max.buffered.bytes. Until then the socket is paused: the frame's size is known from its
 * header, so its payload is not buffered (beyond the rest of the read that held the header).
 *
 * The socket is paused while: a frame waits for admission, the client is throttled, too many
 * requests are in flight, or responses + fetchReserved reach connection.max.buffered.bytes. The
 * frame timer runs while a message is arriving and the gate is open.
 * Single-threaded.
 */
import type { WebSocket } from 'ws';
import { Apis, type ApiDefinition } from '@strata/protocol';
import type { FrameMeterEvents } from './frame-meter';
import type { MemoryWaiter, RequestMemoryPool } from './memory-pool';

export interface ReadGateOptions {
  ws: WebSocket;
  pool: RequestMemoryPool;
  maxBufferedBytes: number;
  maxFrameBytes: number;
  maxInflightRequests: number;
  frameTimeoutMs: number;
  inFlight(): number;
  /** Called when the gate opens again, before the socket resumes (held frames go first). */
  onResume(): void;
  onFrameTimeout(): void;
}

export class ReadGate implements FrameMeterEvents, MemoryWaiter {
  private responses = 0;
  private fetchReserved = 0;
  private requests = 0;
  private admitted = 0;
  private pending = 0;
  /** Payload bytes of the message arriving (all its frames so far). */
  private message = 0;
  private waitingForPool = false;
  private throttled: NodeJS.Timeout | null = null;
  private isPaused = false;
  private done = false;
  private frameTimer: NodeJS.Timeout | null = null;
  private frameTimeLeft = 0;
  private frameTimerStarted = 0;
  private inMessage = false;

  constructor(private readonly o: ReadGateOptions) {}

  get paused(): boolean {
    return this.isPaused;
  }

  // FrameMeter events: a frame header was read, a message ended.

  onDataFrame(payloadBytes: number, first: boolean): void {
    if (this.done) return;
    if (first) {
      this.message = 0;
      this.inMessage = true;
      this.frameTimeLeft = this.o.frameTimeoutMs;
      this.startFrameTimer();
    }
    // Too large: ws refuses it from the same header (close 1009); nothing to admit.
    if (this.message + payloadBytes > this.o.maxFrameBytes) return;
    if (this.pending === 0 && this.canAdmit(payloadBytes, first)) this.admit(payloadBytes);
    else {
      this.pending += payloadBytes;
      this.update();
    }
    this.message += payloadBytes;
  }

  onMessageEnd(): void {
    this.inMessage = false;
    this.stopFrameTimer();
  }

  /** `ws` delivered a whole message of `bytes` (it becomes a request held by the connection). */
  messageArrived(bytes: number): void {
    if (this.done) return;
    const fromAdmitted = Math.min(bytes, this.admitted);
    this.admitted -= fromAdmitted;
    const rest = bytes - fromAdmitted;
    if (rest > 0) {
      // Arrived in the same read as its header while waiting for room: it is in memory already.
      this.pending = Math.max(0, this.pending - rest);
      this.o.pool.take(rest);
    }
    this.requests += bytes;
  }

  /** A request (or a message that was not a request) is finished with. */
  requestDone(bytes: number): void {
    this.requests -= bytes;
    this.o.pool.release(bytes);
    this.update();
  }

  /** Response bytes a request may produce beyond a small answer: a fetch's maxBytes. */
  reserveFetch(api: ApiDefinition, body: unknown): number {
    if (api.key !== Apis.Fetch.key) return 0;
    const maxBytes = (body as { maxBytes?: number }).maxBytes ?? 0;
    const n = Number.isFinite(maxBytes) && maxBytes > 0 ? maxBytes : 0;
    this.fetchReserved += n;
    return n;
  }

  fetchDone(reservation: number): void {
    this.fetchReserved -= reservation;
  }

  responseQueued(bytes: number): void {
    if (this.done) return;
    this.responses += bytes;
    this.o.pool.take(bytes);
  }

  responseSent(bytes: number): void {
    if (this.done) return;
    this.responses -= bytes;
    this.o.pool.release(bytes);
    this.update();
  }

  /** Reads nothing from the client for `ms` (a quota was exceeded). */
  throttle(ms: number): void {
    if (this.throttled) clearTimeout(this.throttled);
    this.throttled = setTimeout(() => {
      this.throttled = null;
      this.update();
    }, ms);
    this.update();
  }

  /** MemoryWaiter: the pool has room for our pending frame. */
  wake(): void {
    this.waitingForPool = false;
    if (this.done || this.pending === 0) return;
    this.admit(this.pending);
    this.pending = 0;
    this.update();
  }

  private canAdmit(bytes: number, first: boolean): boolean {
    if (first && !this.o.pool.hasRoom) return false;
    const others = this.responses + this.fetchReserved + this.requests;
    return others === 0 || others + this.message + bytes <= this.o.maxBufferedBytes;
  }

  private admit(bytes: number): void {
    this.admitted += bytes;
    this.o.pool.take(bytes);
  }

  /** Re-evaluates pending frames and whether the socket should be read. */
  update(): void {
    if (this.done) return;
    if (this.pending > 0 && !this.waitingForPool) {
      const others = this.responses + this.fetchReserved + this.requests;
      const fits = others === 0 || others + this.message <= this.o.maxBufferedBytes;
      if (fits) {
        if (this.o.pool.hasRoom) {
          this.admit(this.pending);
          this.pending = 0;
        } else {
          this.waitingForPool = true;
          this.o.pool.wait(this);
        }
      }
    }
    const over =
      this.pending > 0 ||
      this.throttled !== null ||
      this.o.inFlight() >= this.o.maxInflightRequests ||
      this.responses + this.fetchReserved >= this.o.maxBufferedBytes;
    if (over && !this.isPaused) {
      this.isPaused = true;
      this.pauseFrameTimer();
      this.o.ws.pause();
    } else if (!over && this.isPaused) {
      this.isPaused = false;
      this.o.onResume(); // may pause again
      if (!this.isPaused && !this.done) {
        this.startFrameTimer();
        this.o.ws.resume();
      }
    }
  }

  /** The connection is closing: stop gating (the peer's close frame must still be read). */
  closing(): void {
    this.stopFrameTimer();
    if (this.throttled) clearTimeout(this.throttled);
    this.throttled = null;
    if (this.isPaused) {
      this.isPaused = false;
      this.o.ws.resume();
    }
  }

  /** The socket closed: give back what this connection held, except requests still being handled. */
  closed(): void {
    this.closing();
    if (this.done) return;
    this.done = true;
    if (this.waitingForPool) this.o.pool.cancel(this);
    this.o.pool.release(this.responses + this.admitted);
    this.responses = 0;
    this.admitted = 0;
    this.pending = 0;
  }

  private startFrameTimer(): void {
    if (!this.inMessage || this.isPaused || this.frameTimer || this.done) return;
    this.frameTimerStarted = performance.now();
    this.frameTimer = setTimeout(() => {
      this.frameTimer = null;
      this.o.onFrameTimeout();
    }, Math.max(1, this.frameTimeLeft));
  }

  private pauseFrameTimer(): void {
    if (!this.frameTimer) return;
    clearTimeout(this.frameTimer);
    this.frameTimer = null;
    this.frameTimeLeft -= performance.now() - this.frameTimerStarted;
  }

  private stopFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = null;
  }
}
