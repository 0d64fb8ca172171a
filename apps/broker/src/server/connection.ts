/**
 * ClientConnection: one client's WebSocket. Decodes request frames, enforces the handshake
 * (ApiVersions first), dispatches to handlers and writes responses. Requests are dispatched in
 * arrival order; responses go out as they complete (clients match them by correlation id).
 *
 * Bad input never escapes this class: a frame that cannot be decoded, a text frame, or a request
 * before the handshake gets an error frame (when its correlation id is readable) and the
 * connection is closed with code 1002; an unknown API or version gets an error frame and the
 * connection stays open; a handler failure becomes an error frame for that request only.
 *
 * Back-pressure: when too many requests are in progress, or the response bytes waiting for a
 * slow client plus those its in-progress fetches may still return (their maxBytes) reach
 * connection.max.buffered.bytes, the connection stops reading (ws.pause) until they drop, so one
 * client cannot make the broker buffer without bound (counting only sent bytes let 200 pipelined
 * fetches all start before the first response was queued). Frames that ws already parsed from the socket's last read
 * (a read holds many small requests) are held, not handled, until then: pausing the socket alone
 * let a client that stopped reading get ~170 pipelined 1 MiB fetches answered.
 */
import type { WebSocket } from 'ws';
import {
  Apis,
  ERRORS,
  StrataError,
  decodeMessage,
  decodeRequestFrame,
  encodeErrorResponseFrame,
  encodeResponseFrame,
  resolveApi,
  type ApiDefinition,
} from '@strata/protocol';
import { NO_RESPONSE, type BrokerServices, type RequestContext, type RequestHandler } from './handler';

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxInflightRequests: number;
  maxBufferedBytes: number;
}

const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_GOING_AWAY = 1001;

let nextConnectionId = 1;

export class ClientConnection {
  readonly id = nextConnectionId++;
  principal = 'ANONYMOUS';
  private state: 'handshake' | 'ready' | 'closing' | 'closed' = 'handshake';
  private inFlight = 0;
  private buffered = 0;
  /** Bytes the in-progress fetches may still answer with (their maxBytes). */
  private reserved = 0;
  private paused = false;
  /** Frames received while paused, handled in order once the connection resumes. */
  private held: Array<{ data: Buffer; isBinary: boolean }> = [];
  private readonly closeListeners = new Set<() => void>();
  private drained: (() => void) | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly services: BrokerServices,
    private readonly handlers: ReadonlyMap<number, RequestHandler>,
    private readonly options: ConnectionOptions,
    readonly remoteAddress: string,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary)); // binaryType is 'nodebuffer'
    ws.on('close', () => this.onClosed());
    ws.on('error', (err) => services.logger.debug({ err, connection: this.id }, 'connection error'));
  }

  get isOpen(): boolean {
    return this.state === 'handshake' || this.state === 'ready';
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.paused || this.held.length > 0) this.held.push({ data, isBinary });
    else this.onMessage(data, isBinary);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.isOpen) return;
    if (!isBinary) {
      this.protocolError(null, new StrataError(ERRORS.MALFORMED_FRAME, 'text frames are not part of the protocol; send binary frames'));
      return;
    }
    const correlationId = data.length >= 8 ? data.readInt32BE(4) : null;
    let frame;
    try {
      frame = decodeRequestFrame(data, this.options.maxFrameBytes);
    } catch (e) {
      this.protocolError(correlationId, e);
      return;
    }
    const { header } = frame;
    if (this.state === 'handshake' && header.apiKey !== Apis.ApiVersions.key) {
      this.protocolError(correlationId, new StrataError(ERRORS.HANDSHAKE_REQUIRED, 'the first request on a connection must be ApiVersions'));
      return;
    }
    let api: ApiDefinition;
    try {
      api = resolveApi(header);
    } catch (e) {
      this.services.metrics.protocolErrors.inc({ code: (e as StrataError).code });
      this.sendError(header.correlationId, e);
      return;
    }
    const handler = this.handlers.get(api.key);
    if (!handler) {
      this.sendError(header.correlationId, new StrataError(ERRORS.UNKNOWN_API_KEY, `${api.name} is not served by this broker`));
      return;
    }
    let body: unknown;
    try {
      body = decodeMessage(api.request, frame.body);
    } catch (e) {
      this.protocolError(header.correlationId, e);
      return;
    }
    this.dispatch(handler, api, header.correlationId, header.apiVersion, header.clientId, body);
  }

  /** Response bytes a request may produce beyond a small answer: a fetch's maxBytes. */
  private static reservationOf(api: ApiDefinition, body: unknown): number {
    if (api.key !== Apis.Fetch.key) return 0;
    const maxBytes = (body as { maxBytes?: number }).maxBytes ?? 0;
    return Number.isFinite(maxBytes) && maxBytes > 0 ? maxBytes : 0;
  }

  private dispatch(handler: RequestHandler, api: ApiDefinition, correlationId: number, apiVersion: number, clientId: string | null, body: unknown): void {
    const reservation = ClientConnection.reservationOf(api, body);
    this.inFlight++;
    this.reserved += reservation;
    this.updateFlow();
    const started = performance.now();
    const ctx: RequestContext = {
      connectionId: this.id,
      clientId,
      clientHost: this.remoteAddress,
      principal: this.principal,
      apiVersion,
      onClose: (fn) => {
        if (!this.isOpen) {
          queueMicrotask(fn);
          return () => undefined;
        }
        this.closeListeners.add(fn);
        return () => this.closeListeners.delete(fn);
      },
    };
    let result: unknown;
    try {
      // The handler's request type is the body type of `api`, which decodeMessage produced.
      result = handler.handle(ctx, body as never);
    } catch (e) {
      this.complete(api, correlationId, started, reservation, undefined, e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r: unknown) => this.complete(api, correlationId, started, reservation, r, undefined),
        (e: unknown) => this.complete(api, correlationId, started, reservation, undefined, e),
      );
    } else this.complete(api, correlationId, started, reservation, result, undefined);
  }

  private complete(api: ApiDefinition, correlationId: number, started: number, reservation: number, result: unknown, error: unknown): void {
    this.inFlight--;
    this.reserved -= reservation;
    const metrics = this.services.metrics;
    metrics.requestSeconds.observe({ api: api.name }, (performance.now() - started) / 1000);
    if (error !== undefined) {
      const code = error instanceof StrataError ? error.code : 'UNKNOWN_SERVER_ERROR';
      metrics.requests.inc({ api: api.name, error: code });
      if (!(error instanceof StrataError)) this.services.logger.error({ err: error, api: api.name, connection: this.id }, 'request handler failed');
      this.sendError(correlationId, error);
    } else {
      metrics.requests.inc({ api: api.name, error: 'NONE' });
      if (api.key === Apis.ApiVersions.key && this.state === 'handshake') this.state = 'ready';
      if (result !== NO_RESPONSE) {
        let frame: Uint8Array;
        try {
          frame = encodeResponseFrame(api, correlationId, result);
        } catch (e) {
          this.services.logger.error({ err: e, api: api.name }, 'response encoding failed');
          this.sendError(correlationId, e);
          return this.afterRequest();
        }
        this.send(frame);
      }
    }
    this.afterRequest();
  }

  private afterRequest(): void {
    this.updateFlow();
    if (this.inFlight === 0 && this.drained) {
      this.drained();
      this.drained = null;
    }
  }

  private send(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    const n = frame.length;
    this.buffered += n;
    this.ws.send(frame, { binary: true }, () => {
      this.buffered -= n;
      this.updateFlow();
    });
  }

  private sendError(correlationId: number, error: unknown): void {
    const e = error instanceof StrataError ? error : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, 'internal error');
    this.send(encodeErrorResponseFrame(correlationId, e.errorCode, e.message));
  }

  /** Answers with an error frame when possible, then closes the connection. */
  private protocolError(correlationId: number | null, error: unknown): void {
    const e = error instanceof StrataError ? error : new StrataError(ERRORS.MALFORMED_FRAME, String(error));
    this.services.metrics.protocolErrors.inc({ code: e.code });
    this.services.logger.debug({ connection: this.id, code: e.code, reason: e.message }, 'closing connection after protocol error');
    if (correlationId !== null) this.send(encodeErrorResponseFrame(correlationId, e.errorCode, e.message));
    this.state = 'closing';
    this.fireClose();
    if (this.paused) this.ws.resume(); // the peer's close frame must still be read
    this.ws.close(CLOSE_PROTOCOL_ERROR, e.code);
  }

  private updateFlow(): void {
    if (this.state === 'closed') return;
    const over = this.inFlight >= this.options.maxInflightRequests || this.buffered + this.reserved >= this.options.maxBufferedBytes;
    if (over && !this.paused) {
      this.paused = true;
      this.ws.pause();
    } else if (!over && this.paused && this.state !== 'closing') {
      this.paused = false;
      // Held frames first, in arrival order; handling one may pause the connection again.
      while (!this.paused && this.held.length > 0 && this.isOpen) {
        const { data, isBinary } = this.held.shift()!;
        this.onMessage(data, isBinary);
      }
      if (!this.paused) this.ws.resume();
    }
  }

  private fireClose(): void {
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const fn of listeners) fn();
  }

  private onClosed(): void {
    this.state = 'closed';
    this.held = [];
    this.fireClose();
    if (this.drained) {
      this.drained();
      this.drained = null;
    }
  }

  /**
   * Graceful shutdown: stop reading requests, wake parked fetches, wait for in-flight requests
   * (at most `timeoutMs`), then close with 1001 (going away).
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.ws.pause();
    this.fireClose();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.ws.readyState === this.ws.OPEN) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.ws.terminate();
          resolve();
        }, 2000);
        this.ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        this.ws.resume(); // the peer's close frame must still be read
        this.ws.close(CLOSE_GOING_AWAY, 'broker shutting down');
      });
    }
  }
}
