/**
 * One connection to one broker, for one socket lifetime: open the transport, perform the
 * ApiVersions handshake, then carry pipelined requests matched to responses by correlation id.
 *
 * Invariants:
 * - ApiVersions is the first request written on the socket; no other request is accepted before the
 *   handshake completes (state 'ready').
 * - Every request settles exactly once: with its response, with the broker's error for it, with a
 *   timeout, or with a retriable NETWORK_EXCEPTION when the connection closes.
 * - At most `maxInFlightRequests` requests await a response; further ones wait in FIFO order and
 *   keep their order on the wire.
 * - A closed connection stays closed; the owner (BrokerConnection) opens a new one.
 * - When the broker asks for SASL (ApiVersions.auth_mechanisms), the connection authenticates before
 *   it is ready, and re-authenticates on the open connection before the session ends.
 * - A response reporting a quota throttle (throttle_ms) holds further requests (FIFO order kept)
 *   until the throttle ends, as the broker reads nothing from us meanwhile (KIP-219).
 * - A request timeout closes the connection when nothing arrived on it since that request was
 *   sent (a dead or half-open link); a connection that is answering other requests stays open.
 * Single-threaded (JavaScript event loop); not shared across workers.
 */
import {
  Apis,
  ERRORS,
  StrataError,
  decodeErrorResponse,
  decodeMessage,
  decodePush,
  decodeResponseFrame,
  PUSH_CORRELATION_ID,
  encodeRequestFrame,
  errorFromCode,
  type ApiDefinition,
  type ApiName,
  type ApiVersionsResponse,
  type RequestInitOf,
  type ResponseOf,
} from '@strata/protocol';
import { StrataConnectionError, StrataRequestTimeoutError, toError } from '../errors';
import type { TransportCloseInfo, TransportConnection } from '../transport/transport';
import { API_VERSIONS_HANDSHAKE_VERSION, NegotiatedVersions } from './api-versions';
import type { BrokerIdentity, ConnectionConfig, RequestOptions } from './connection-config';
import type { TimerHandle } from '../clock';
import { openTransport } from './open-transport';
import { authenticate, reauthenticateAfterMs } from './sasl-authenticator';
import { PendingRequest } from './pending-request';

export type { BrokerIdentity, ConnectionConfig, RequestOptions } from './connection-config';

type State = 'idle' | 'connecting' | 'ready' | 'closed';

/** Requests of the handshake: the only ones sent before it completes, and never held by a throttle. */
const HANDSHAKE_APIS: ReadonlySet<string> = new Set(['ApiVersions', 'SaslHandshake', 'SaslAuthenticate']);

export class Connection {
  private state: State = 'idle';
  private socket: TransportConnection | null = null;
  private readonly inFlight = new Map<number, PendingRequest>();
  private readonly waiting: PendingRequest[] = [];
  private nextCorrelationId = 0;
  private versions: NegotiatedVersions | null = null;
  private identity: BrokerIdentity | null = null;
  /** SASL mechanisms the broker offered (empty: it asked for none). */
  private offeredMechanisms: readonly string[] = [];
  private reauthTimer: TimerHandle | undefined;
  /** Set while a quota throttle holds the requests back: clock time when sending may resume. */
  private throttledUntil = 0;
  private throttleTimer: TimerHandle | undefined;
  /** Frames received so far, to tell a slow broker from a dead link. */
  private framesReceived = 0;
  /** The last request-level error the broker sent for a request we no longer track. */
  private orphanError: StrataError | null = null;

  constructor(private readonly config: ConnectionConfig) {}

  get url(): string {
    return this.config.url;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Requests awaiting a response plus requests waiting for an in-flight slot. */
  get pendingCount(): number {
    return this.inFlight.size + this.waiting.length;
  }

  /** Bytes written but not yet sent by the transport (for producer back-pressure). */
  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  /** Set after the handshake. */
  get broker(): BrokerIdentity {
    if (!this.identity) throw new StrataConnectionError(`connection to ${this.url} has not completed its handshake`, { url: this.url });
    return this.identity;
  }

  /** Opens the socket and performs the handshake. Single use: a Connection connects once. */
  async connect(): Promise<void> {
    if (this.state !== 'idle') throw new StrataConnectionError(`connection to ${this.url} was already used`, { url: this.url, retriable: false });
    this.state = 'connecting';
    const { clock, connectionTimeoutMs } = this.config;
    const started = clock.now();
    const socket = await this.openSocket();
    if (this.isClosed) {
      socket.close();
      throw new StrataConnectionError(`connection to ${this.url} was closed while connecting`, { url: this.url });
    }
    this.socket = socket;
    const remaining = Math.max(1, connectionTimeoutMs - (clock.now() - started));
    let response: ApiVersionsResponse;
    try {
      response = await this.enqueue(Apis.ApiVersions, API_VERSIONS_HANDSHAKE_VERSION, {
        clientSoftwareName: this.config.softwareName,
        clientSoftwareVersion: this.config.softwareVersion,
      }, remaining, true);
      if (response.errorCode !== 0) throw errorFromCode(response.errorCode, 'ApiVersions handshake refused');
      if (response.authMechanisms.length > 0) {
        const sasl = this.config.sasl;
        if (!sasl) {
          throw new StrataError(
            ERRORS.SASL_AUTHENTICATION_FAILED,
            `the broker at ${this.url} requires authentication (${response.authMechanisms.join(', ')}): pass the sasl option ({ mechanism, username, password })`,
          );
        }
        this.offeredMechanisms = response.authMechanisms;
        const timeLeft = () => Math.max(1, connectionTimeoutMs - (clock.now() - started));
        const lifetime = await authenticate(sasl, response.authMechanisms, this.url, (name, body) => this.enqueue(apiOf(name), 0, body, timeLeft(), true));
        this.authenticated(sasl.mechanism, lifetime, false);
      }
    } catch (error) {
      this.shutdown(toError(error), 1000, 'handshake failed', 'failure');
      throw error;
    }
    if (this.state !== 'connecting') throw new StrataConnectionError(`connection to ${this.url} closed during the handshake`, { url: this.url });
    this.versions = new NegotiatedVersions(response);
    this.identity = {
      brokerId: response.brokerId,
      clusterId: response.clusterId,
      brokerVersion: response.brokerVersion,
      maxFrameBytes: response.maxFrameBytes > 0 ? response.maxFrameBytes : this.config.maxIncomingFrameBytes,
      maxBatchBytes: response.maxBatchBytes,
    };
    this.state = 'ready';
    this.config.events.emit('connection.connect', {
      url: this.url,
      brokerId: response.brokerId,
      clusterId: response.clusterId,
      brokerVersion: response.brokerVersion,
    });
    this.drain();
  }

  /** True when the broker and this client share a version of `name`. */
  supports(name: ApiName): boolean {
    return this.versions?.supports(name) ?? false;
  }

  /** Sends a request and resolves with the decoded response body. */
  request<N extends ApiName>(name: N, body: RequestInitOf<N>, options: RequestOptions = {}): Promise<ResponseOf<N>> {
    try {
      const version = this.readyVersions().versionOf(name);
      return this.enqueue(apiOf(name), version, body, options.timeoutMs ?? this.config.requestTimeoutMs, true);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0). Resolves once the frame is
   * handed to the transport.
   */
  send<N extends ApiName>(name: N, body: RequestInitOf<N>, options: RequestOptions = {}): Promise<void> {
    try {
      const version = this.readyVersions().versionOf(name);
      return this.enqueue(apiOf(name), version, body, options.timeoutMs ?? this.config.requestTimeoutMs, false).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Closes the connection; every pending request rejects with a retriable NETWORK_EXCEPTION. */
  close(): void {
    if (this.state === 'closed') return;
    this.shutdown(new StrataConnectionError(`connection to ${this.url} was closed by the client`, { url: this.url }), 1000, 'client closed', 'local');
  }

  private readyVersions(): NegotiatedVersions {
    if (this.state !== 'ready' || !this.versions) {
      throw new StrataConnectionError(`connection to ${this.url} is ${this.state === 'closed' ? 'closed' : 'not ready'}`, { url: this.url });
    }
    return this.versions;
  }

  private async openSocket(): Promise<TransportConnection> {
    const { transport, clock, connectionTimeoutMs, maxIncomingFrameBytes } = this.config;
    try {
      return await openTransport(transport, this.url, clock, {
        ...(this.config.tls ? { tls: this.config.tls } : {}),
        maxPayloadBytes: maxIncomingFrameBytes,
        connectTimeoutMs: connectionTimeoutMs,
        onMessage: (frame) => this.onFrame(frame),
        onClose: (info) => this.onTransportClose(info),
      });
    } catch (error) {
      this.state = 'closed';
      throw error;
    }
  }

  private enqueue<Res, ReqInit>(
    api: ApiDefinition<unknown, ReqInit, Res, unknown>,
    version: number,
    body: ReqInit,
    timeoutMs: number,
    expectResponse: boolean,
  ): Promise<Res> {
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff; // negative ids are the broker's (push frames)
    const frame = encodeRequestFrame(api, { apiVersion: version, correlationId, clientId: this.config.clientId }, body);
    const limit = this.identity?.maxFrameBytes;
    if (limit !== undefined && frame.length > limit) {
      return Promise.reject(
        new StrataError(ERRORS.FRAME_TOO_LARGE, `${api.name} request of ${frame.length} bytes exceeds the broker's frame limit of ${limit} bytes`),
      );
    }
    return new Promise<Res>((resolve, reject) => {
      const pending = new PendingRequest(
        correlationId,
        api.name,
        version,
        expectResponse ? (api.response as ApiDefinition['response']) : null,
        frame,
        frame.length,
        timeoutMs,
        resolve as (value: unknown) => void,
        reject,
      );
      pending.timer = this.config.clock.setTimeout(() => this.onTimeout(pending), timeoutMs);
      this.waiting.push(pending);
      this.drain();
    });
  }

  /** Writes waiting requests while in-flight slots are free. */
  private drain(): void {
    const socket = this.socket;
    if (!socket) return;
    const max = this.config.maxInFlightRequests ?? Number.POSITIVE_INFINITY;
    while (this.waiting.length > 0 && this.inFlight.size < max) {
      const pending = this.waiting[0]!;
      // Before the handshake completes only the handshake itself (and authentication) may go out.
      if (this.state !== 'ready' && !(this.state === 'connecting' && HANDSHAKE_APIS.has(pending.apiName))) return;
      // A quota throttle holds everything but re-authentication until it ends.
      if (this.throttledUntil > 0 && !HANDSHAKE_APIS.has(pending.apiName)) {
        const wait = this.throttledUntil - this.config.clock.now();
        if (wait > 0) {
          this.throttleTimer ??= this.config.clock.setTimeout(() => {
            this.throttleTimer = undefined;
            this.drain();
          }, wait);
          return;
        }
        this.throttledUntil = 0;
      }
      this.waiting.shift();
      this.write(socket, pending);
    }
  }

  private write(socket: TransportConnection, pending: PendingRequest): void {
    const frame = pending.frame!;
    pending.frame = null;
    pending.sentAt = this.config.clock.now();
    pending.framesAtSend = this.framesReceived;
    if (pending.codec) this.inFlight.set(pending.correlationId, pending);
    try {
      socket.send(frame);
    } catch (error) {
      this.inFlight.delete(pending.correlationId);
      this.config.clock.clearTimeout(pending.timer);
      pending.reject(new StrataConnectionError(`could not write to ${this.url}: ${toError(error).message}`, { url: this.url, cause: error }));
      return;
    }
    if (!pending.codec) {
      this.config.clock.clearTimeout(pending.timer);
      this.emitRequest(pending, 0);
      pending.resolve(undefined);
    }
  }

  /** A push frame: handed on; a malformed one is logged and dropped (pushes are hints). */
  private onPushFrame(body: Uint8Array): void {
    let push;
    try {
      push = decodePush(body);
    } catch (error) {
      this.config.logger.warn(`broker ${this.url} sent a malformed push frame: ${toError(error).message}`);
      return;
    }
    this.config.onPush?.(push);
  }

  private onFrame(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.framesReceived++;
    let header;
    try {
      header = decodeResponseFrame(frame);
    } catch (error) {
      this.shutdown(toError(error), 1002, 'malformed response frame', 'failure');
      return;
    }
    if (header.correlationId === PUSH_CORRELATION_ID) {
      this.onPushFrame(header.body);
      return;
    }
    const pending = this.inFlight.get(header.correlationId);
    if (!pending) {
      if (header.errorCode !== 0) {
        // Typically the broker's reason for closing the connection right after.
        this.orphanError = this.brokerError(header.errorCode, header.body);
        this.config.logger.warn(`broker ${this.url} reported an error: ${this.orphanError.message}`, { code: this.orphanError.code });
      } else {
        this.config.logger.debug(`response ${header.correlationId} from ${this.url} matches no pending request (timed out?)`);
      }
      return;
    }
    this.inFlight.delete(header.correlationId);
    this.config.clock.clearTimeout(pending.timer);
    this.emitRequest(pending, frame.length);
    if (header.errorCode !== 0) {
      pending.reject(this.brokerError(header.errorCode, header.body));
    } else {
      try {
        const body = decodeMessage(pending.codec!, header.body, ERRORS.CORRUPT_MESSAGE);
        this.noteThrottle(pending.apiName, body);
        pending.resolve(body);
      } catch (error) {
        pending.reject(toError(error));
      }
    }
    this.drain();
  }

  /** Honours a quota throttle reported in a response: nothing more is sent until it ends. */
  private noteThrottle(apiName: string, body: unknown): void {
    const throttleMs = (body as { throttleMs?: number }).throttleMs ?? 0;
    if (!(throttleMs > 0)) return;
    this.throttledUntil = Math.max(this.throttledUntil, this.config.clock.now() + throttleMs);
    this.config.events.emit('connection.throttle', { url: this.url, apiName, throttleMs });
  }

  /** Records a successful (re-)authentication and schedules the next one before the session ends. */
  private authenticated(mechanism: string, lifetimeMs: number, reauthentication: boolean): void {
    this.config.events.emit('connection.authenticate', { url: this.url, mechanism: mechanism.toUpperCase(), sessionLifetimeMs: lifetimeMs, reauthentication });
    if (lifetimeMs <= 0) return;
    this.reauthTimer = this.config.clock.setTimeout(() => {
      this.reauthTimer = undefined;
      const sasl = this.config.sasl!;
      authenticate(sasl, this.offeredMechanisms, this.url, (name, body) => this.request(name, body)).then(
        (lifetime) => this.authenticated(sasl.mechanism, lifetime, true),
        (error: unknown) => {
          this.config.logger.warn(`re-authentication with ${this.url} failed: ${toError(error).message}`);
          this.shutdown(toError(error), 1000, 're-authentication failed', 'failure');
        },
      );
    }, reauthenticateAfterMs(lifetimeMs));
  }

  private brokerError(code: number, body: Uint8Array): StrataError {
    try {
      const decoded = decodeErrorResponse(body);
      return errorFromCode(code, decoded.message);
    } catch {
      return errorFromCode(code);
    }
  }

  private onTimeout(pending: PendingRequest): void {
    if (pending.settled) return;
    this.inFlight.delete(pending.correlationId);
    const i = this.waiting.indexOf(pending);
    if (i >= 0) this.waiting.splice(i, 1);
    this.config.events.emit('connection.request_timeout', {
      url: this.url,
      apiName: pending.apiName,
      correlationId: pending.correlationId,
      timeoutMs: pending.timeoutMs,
    });
    pending.reject(new StrataRequestTimeoutError(pending.apiName, pending.correlationId, pending.timeoutMs, this.url));
    if (pending.framesAtSend >= 0 && this.framesReceived === pending.framesAtSend && this.state === 'ready') {
      // Nothing at all arrived since the request went out: the link may be half-open (no FIN ever
      // comes). Close it so that the next request reconnects instead of timing out again.
      this.shutdown(
        new StrataConnectionError(`no frame from ${this.url} for ${pending.timeoutMs} ms; closing the connection`, { url: this.url }),
        1000,
        'request timeout',
        'failure',
      );
      return;
    }
    this.drain();
  }

  private onTransportClose(info: TransportCloseInfo): void {
    if (this.state === 'closed') return;
    const cause = this.orphanError ?? info.error;
    const detail = this.orphanError ? `: ${this.orphanError.message}` : info.error ? `: ${info.error.message}` : '';
    const error = new StrataConnectionError(`connection to ${this.url} closed (code ${info.code}${info.reason ? `, ${info.reason}` : ''})${detail}`, {
      url: this.url,
      cause,
    });
    this.shutdown(error, info.code, info.reason, 'remote');
  }

  /** `how`: 'local' = close() on purpose, 'failure' = we close because of `error`, 'remote' = the socket closed. */
  private shutdown(error: Error, code: number, reason: string, how: 'local' | 'failure' | 'remote'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.config.clock.clearTimeout(this.reauthTimer);
    this.config.clock.clearTimeout(this.throttleTimer);
    if (how !== 'remote') this.socket?.close(code, reason);
    const failure =
      error instanceof StrataConnectionError ? error : new StrataConnectionError(`connection to ${this.url} closed: ${error.message}`, { url: this.url, cause: error });
    const all = [...this.inFlight.values(), ...this.waiting];
    this.inFlight.clear();
    this.waiting.length = 0;
    for (const pending of all) {
      this.config.clock.clearTimeout(pending.timer);
      pending.reject(failure);
    }
    this.config.events.emit('connection.close', how === 'local' ? { url: this.url, code, reason } : { url: this.url, code, reason, error: failure });
    this.config.onClose?.(this);
  }

  private emitRequest(pending: PendingRequest, responseBytes: number): void {
    if (!this.config.events.listening('connection.request')) return;
    this.config.events.emit('connection.request', {
      url: this.url,
      apiName: pending.apiName,
      apiVersion: pending.apiVersion,
      correlationId: pending.correlationId,
      requestBytes: pending.frameBytes,
      responseBytes,
      durationMs: this.config.clock.now() - pending.sentAt,
    });
  }
}

/**
 * The definition of API `name` with its message types. `Apis[name]` indexed by a generic name is a
 * union TypeScript cannot narrow; the table in @strata/protocol guarantees the pairing.
 */
function apiOf<N extends ApiName>(name: N): ApiDefinition<unknown, RequestInitOf<N>, ResponseOf<N>, unknown> {
  return Apis[name] as unknown as ApiDefinition<unknown, RequestInitOf<N>, ResponseOf<N>, unknown>;
}
