/**
 * ClientConnection: one client's WebSocket. Decodes request frames, enforces the handshake
 * (ApiVersions first, then SASL when the broker requires it: sasl-exchange.ts), authorizes every
 * request in one place (ConnectionSecurity.authorizeRequest, driven by security/api-resources.ts),
 * dispatches to handlers and writes responses. Requests are dispatched in arrival order; responses
 * go out as they complete (clients match them by correlation id).
 *
 * Bad input never escapes this class: a frame that cannot be decoded, a text frame, or a request
 * before the handshake gets an error frame (when its correlation id is readable) and the
 * connection is closed with code 1002; an unknown API or version, or a request the principal may
 * not make, gets an error frame and the connection stays open; a handler failure becomes an error
 * frame for that request only.
 *
 * Flow control (ReadGate): the connection stops reading its socket while any of these holds, and
 * frames `ws` already parsed are held, not handled, until it reads again:
 * - too many requests in progress (connection.max.inflight.requests);
 * - response bytes waiting for a slow client, plus the maxBytes of its fetches in progress, plus
 *   the request frames it is sending or that are being handled, reach connection.max.buffered.bytes
 *   (a new frame's size is known from its header, before its payload is buffered: FrameMeter);
 * - the broker-wide pool (queued.max.request.bytes) is full and the next frame needs memory;
 * - the client is throttled by a quota (for the throttle time reported in the response).
 * A request frame that has started arriving must be whole within connection.frame.timeout.ms of
 * reading time, or the connection closes (a client trickling a frame cannot hold memory forever).
 */
import type { WebSocket } from 'ws';
import { MIN_POOLED_BYTES } from '../util/buffer-pool';
import {
  Apis,
  ERRORS,
  StrataError,
  decodeMessage,
  decodeRequestFrame,
  encodeErrorResponseFrame,
  encodeResponseFrame,
  encodePushFrame,
  resolveApi,
  type ApiDefinition,
} from '@strata/protocol';
import type { ConnectionSecurity, PeerInfo } from '../security/connection-security';
import { FrameMeter } from './frame-meter';
import { NO_RESPONSE, type BrokerServices, type RequestContext, type RequestHandler } from './handler';
import type { RequestMemoryPool } from './memory-pool';
import { ReadGate } from './read-gate';
import { SaslExchange } from './sasl-exchange';

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxInflightRequests: number;
  maxBufferedBytes: number;
  /** How long a started request frame may take to arrive (reading time). */
  frameTimeoutMs: number;
  pool: RequestMemoryPool;
  security: ConnectionSecurity;
}

const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;

let nextConnectionId = 1;

export class ClientConnection {
  readonly id = nextConnectionId++;
  private state: 'handshake' | 'authenticating' | 'ready' | 'closing' | 'closed' = 'handshake';
  private readonly gate: ReadGate;
  private readonly sasl: SaslExchange;
  private inFlight = 0;
  /** Frames received while paused, handled in order once the connection resumes. */
  private held: Array<{ data: Buffer; isBinary: boolean }> = [];
  private readonly closeListeners = new Set<() => void>();
  private drained: (() => void) | null = null;
  private readonly peer: PeerInfo;

  constructor(
    private readonly ws: WebSocket,
    private readonly services: BrokerServices,
    private readonly handlers: ReadonlyMap<number, RequestHandler>,
    private readonly options: ConnectionOptions,
    peer: PeerInfo,
    /** Told once when the handshake (and authentication) completes. */
    private readonly onReady: () => void,
  ) {
    this.peer = peer;
    this.gate = new ReadGate({
      ws,
      pool: options.pool,
      maxBufferedBytes: options.maxBufferedBytes,
      maxFrameBytes: options.maxFrameBytes,
      maxInflightRequests: options.maxInflightRequests,
      frameTimeoutMs: options.frameTimeoutMs,
      inFlight: () => this.inFlight,
      onResume: () => this.releaseHeld(),
      onFrameTimeout: () => {
        services.metrics.connectionsClosed.inc({ reason: 'frame-timeout' });
        this.closeWith(CLOSE_POLICY, new StrataError(ERRORS.REQUEST_TIMED_OUT, `a request frame did not arrive whole within ${options.frameTimeoutMs} ms (connection.frame.timeout.ms)`));
      },
    });
    this.sasl = new SaslExchange(options.security, peer, services.metrics, services.clock);
    const meter = new FrameMeter(this.gate);
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary)); // binaryType is 'nodebuffer'
    ws.on('close', () => this.onClosed());
    ws.on('error', (err) => services.logger.debug({ err, connection: this.id }, 'connection error'));
    // ws keeps its net.Socket in the untyped `_socket` field; the meter must see bytes before ws.
    const socket = (ws as unknown as { _socket: NodeJS.EventEmitter })._socket;
    socket.prependListener('data', (chunk: Buffer) => meter.push(chunk));
  }

  get isOpen(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  get principal(): string {
    return this.sasl.principal;
  }

  /** Closes a connection that did not complete its handshake in time. */
  handshakeTimedOut(timeoutMs: number): void {
    if (this.state !== 'handshake' && this.state !== 'authenticating') return;
    this.services.metrics.connectionsClosed.inc({ reason: 'handshake-timeout' });
    this.closeWith(CLOSE_POLICY, new StrataError(ERRORS.REQUEST_TIMED_OUT, `handshake not completed within ${timeoutMs} ms (connection.handshake.timeout.ms)`));
  }

  private receive(data: Buffer, isBinary: boolean): void {
    this.gate.messageArrived(data.length);
    if (this.gate.paused || this.held.length > 0) this.held.push({ data, isBinary });
    else this.onMessage(data, isBinary);
  }

  private releaseHeld(): void {
    while (!this.gate.paused && this.held.length > 0 && this.isOpen) {
      const { data, isBinary } = this.held.shift()!;
      this.onMessage(data, isBinary);
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.isOpen) return this.gate.requestDone(data.length);
    if (!isBinary) {
      this.gate.requestDone(data.length);
      this.protocolError(null, new StrataError(ERRORS.MALFORMED_FRAME, 'text frames are not part of the protocol; send binary frames'));
      return;
    }
    const correlationId = data.length >= 8 ? data.readInt32BE(4) : null;
    let frame;
    try {
      frame = decodeRequestFrame(data, this.options.maxFrameBytes);
    } catch (e) {
      this.gate.requestDone(data.length);
      this.protocolError(correlationId, e);
      return;
    }
    const { header } = frame;
    const fail = (e: unknown, close: boolean) => {
      this.gate.requestDone(data.length);
      if (close) this.protocolError(header.correlationId, e);
      else this.sendError(header.correlationId, e);
    };
    if (this.state === 'handshake' && header.apiKey !== Apis.ApiVersions.key) {
      return fail(new StrataError(ERRORS.HANDSHAKE_REQUIRED, 'the first request on a connection must be ApiVersions'), true);
    }
    let api: ApiDefinition;
    try {
      api = resolveApi(header);
    } catch (e) {
      this.services.metrics.protocolErrors.inc({ code: (e as StrataError).code });
      return fail(e, false);
    }
    if (!SaslExchange.isHandshakeApi(api) && (this.state === 'authenticating' || this.sasl.expired())) {
      const e = new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, this.sasl.expired() ? 'the authenticated session expired; re-authenticate' : `authenticate (${this.options.security.saslMechanisms.join(', ')}) before sending ${api.name}`);
      this.services.metrics.authentications.inc({ mechanism: this.sasl.mechanism || 'none', result: 'failed' });
      return fail(e, true);
    }
    let body: unknown;
    try {
      body = decodeMessage(api.request, frame.body);
    } catch (e) {
      return fail(e, true);
    }
    if (SaslExchange.isSaslApi(api)) {
      const outcome = this.sasl.handle(api, body, this.state === 'ready');
      this.gate.requestDone(data.length);
      this.services.metrics.requests.inc({ api: api.name, error: outcome.errorName });
      this.send(encodeResponseFrame(api, header.correlationId, outcome.response));
      if (outcome.close) this.closeWith(CLOSE_POLICY, new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, 'authentication failed'));
      else if (outcome.authenticated && this.state === 'authenticating') this.becomeReady();
      return;
    }
    const handler = this.handlers.get(api.key);
    if (!handler) return fail(new StrataError(ERRORS.UNKNOWN_API_KEY, `${api.name} is not served by this broker`), false);
    const denied = this.options.security.authorizeRequest(this.principal, this.peer.host, api, body);
    if (denied) {
      this.services.metrics.requests.inc({ api: api.name, error: denied.code });
      this.services.metrics.authorizationDenials.inc({ api: api.name });
      return fail(denied, false);
    }
    this.dispatch(handler, api, header.correlationId, header.apiVersion, header.clientId, body, data.length);
  }

  private becomeReady(): void {
    this.state = 'ready';
    this.onReady();
  }

  private dispatch(handler: RequestHandler, api: ApiDefinition, correlationId: number, apiVersion: number, clientId: string | null, body: unknown, frameBytes: number): void {
    const reservation = this.gate.reserveFetch(api, body);
    this.inFlight++;
    this.gate.update();
    const started = performance.now();
    const security = this.options.security;
    let afterResponse: Array<() => void> | null = null;
    const ctx: RequestContext = {
      connectionId: this.id,
      clientId,
      clientHost: this.peer.host,
      principal: this.principal,
      apiVersion,
      authorize: (operation, resourceType, name) => security.isAllowed(this.principal, this.peer.host, operation, resourceType, name),
      onClose: (fn) => {
        if (!this.isOpen) {
          queueMicrotask(fn);
          return () => undefined;
        }
        this.closeListeners.add(fn);
        return () => this.closeListeners.delete(fn);
      },
      afterResponse: (fn) => void (afterResponse ??= []).push(fn),
      push: (push) => {
        if (this.state === 'ready') this.send(encodePushFrame(push));
      },
    };
    const done = (result: unknown, error: unknown) => {
      try {
        this.complete(api, correlationId, clientId, started, reservation, frameBytes, result, error);
      } finally {
        if (afterResponse) for (const fn of afterResponse) fn();
      }
    };
    let result: unknown;
    try {
      // The handler's request type is the body type of `api`, which decodeMessage produced.
      result = handler.handle(ctx, body as never);
    } catch (e) {
      return done(undefined, e);
    }
    if (result instanceof Promise) result.then((r: unknown) => done(r, undefined), (e: unknown) => done(undefined, e));
    else done(result, undefined);
  }

  private complete(api: ApiDefinition, correlationId: number, clientId: string | null, started: number, reservation: number, frameBytes: number, result: unknown, error: unknown): void {
    this.inFlight--;
    this.gate.fetchDone(reservation);
    this.gate.requestDone(frameBytes);
    const metrics = this.services.metrics;
    metrics.requestSeconds.observe({ api: api.name }, (performance.now() - started) / 1000);
    if (error !== undefined) {
      const code = error instanceof StrataError ? error.code : 'UNKNOWN_SERVER_ERROR';
      metrics.requests.inc({ api: api.name, error: code });
      if (!(error instanceof StrataError)) this.services.logger.error({ err: error, api: api.name, connection: this.id }, 'request handler failed');
      this.sendError(correlationId, error);
    } else {
      metrics.requests.inc({ api: api.name, error: 'NONE' });
      if (api.key === Apis.ApiVersions.key) {
        // The mechanisms the client must authenticate with are the connection's business, not the handler's.
        // So are the SASL APIs, which the connection serves itself.
        const r = result as { apiKeys?: Array<{ apiKey?: number | null }> };
        const sasl = [Apis.SaslHandshake, Apis.SaslAuthenticate].filter((d) => !(r.apiKeys ?? []).some((k) => k.apiKey === d.key));
        result = {
          ...r,
          apiKeys: [...(r.apiKeys ?? []), ...sasl.map((d) => ({ apiKey: d.key, minVersion: d.minVersion, maxVersion: d.maxVersion }))],
          authMechanisms: this.sasl.required ? [...this.options.security.saslMechanisms] : [],
        };
        if (this.state === 'handshake') {
          if (this.sasl.required) this.state = 'authenticating';
          else this.becomeReady();
        }
      }
      if (result !== NO_RESPONSE) {
        let frame: Uint8Array;
        try {
          frame = encodeResponseFrame(api, correlationId, result, this.allocFrame);
          const throttleMs = this.options.security.throttleMs(this.principal, clientId, api, frameBytes, frame.length);
          if (throttleMs > 0) {
            // Kafka's semantics (KIP-219): the response says how long to wait, and the broker
            // reads nothing more from this client meanwhile.
            this.services.buffers.release(frame);
            frame = encodeResponseFrame(api, correlationId, { ...(result as object), throttleMs }, this.allocFrame);
            metrics.throttles.inc({ api: api.name });
            metrics.throttleSeconds.inc({ api: api.name }, throttleMs / 1000);
            this.gate.throttle(throttleMs);
          }
        } catch (e) {
          this.services.logger.error({ err: e, api: api.name }, 'response encoding failed');
          this.sendError(correlationId, e);
          return this.afterRequest();
        }
        this.send(frame);
      } else {
        this.options.security.throttleMs(this.principal, clientId, api, frameBytes, 0);
      }
    }
    this.afterRequest();
  }

  private afterRequest(): void {
    this.gate.update();
    if (this.inFlight === 0 && this.drained) {
      this.drained();
      this.drained = null;
    }
  }

  /** Large response frames come from the broker's buffer pool and go back once written. */
  private readonly allocFrame = (size: number): Uint8Array => (size >= MIN_POOLED_BYTES ? this.services.buffers.acquire(size) : new Uint8Array(size));

  private send(frame: Uint8Array): void {
    const buffers = this.services.buffers;
    if (this.state === 'closed') return buffers.release(frame);
    const n = frame.length;
    this.gate.responseQueued(n);
    // ws calls back once the socket has written the frame (or failed to): it holds no reference after.
    this.ws.send(frame, { binary: true }, () => {
      buffers.release(frame);
      this.gate.responseSent(n);
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
    this.closeWith(CLOSE_PROTOCOL_ERROR, e);
  }

  private closeWith(code: number, e: StrataError): void {
    if (!this.isOpen) return;
    this.state = 'closing';
    this.fireClose();
    this.gate.closing();
    // The reason of a close frame is limited to 123 bytes.
    this.ws.close(code, `${e.code}: ${e.message}`.slice(0, 120));
    // A client that does not answer the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private fireClose(): void {
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const fn of listeners) fn();
  }

  private onClosed(): void {
    this.state = 'closed';
    for (const h of this.held) this.gate.requestDone(h.data.length);
    this.held = [];
    this.gate.closed();
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
