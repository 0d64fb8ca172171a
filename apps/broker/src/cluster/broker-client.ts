/**
 * BrokerClient: this broker's own connection to another broker (replica fetches, truncation
 * queries, controlled shutdown). The broker never imports the SDK; this is the protocol's minimum:
 * one WebSocket, the ApiVersions handshake, correlation ids, a timeout per request. With
 * inter-broker credentials configured it authenticates with SCRAM like any client; a wss:// URL
 * is verified against the broker's CA file (ssl.ca.file, else the system's CAs) and the broker's
 * own certificate is offered as a client certificate (mutual TLS). The TLS files are read at each
 * new connection, so a reloaded certificate is used from the next one.
 *
 * A failed authentication is logged once (at error, naming the user, mechanism and the other
 * broker's answer) until one succeeds again, and new connections wait AUTH_RETRY_MS in between:
 * a misconfigured password must not flood the other broker's failed-authentication limits.
 *
 * A request that fails for the connection (closed, timed out) rejects with NETWORK_EXCEPTION or
 * REQUEST_TIMED_OUT (both retriable) and the connection is dropped; the next request reconnects.
 * Event loop only.
 */
import WebSocket from 'ws';
import type { Logger } from 'pino';
import {
  ERRORS,
  ScramClient,
  StrataError,
  apiOf,
  decodeErrorResponse,
  decodeMessage,
  decodeResponseFrame,
  encodeRequestFrame,
  errorFromCode,
  scramMechanism,
  type ApiName,
  type RequestInitOf,
  type ResponseOf,
} from '@strata/protocol';

interface Pending {
  api: ApiName;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface BrokerClientOptions {
  url: string;
  /** This broker's id, as client id: `strata-broker-<id>`. */
  brokerId: number;
  /** Inter-broker SCRAM credentials, when the cluster requires authentication. */
  credentials?: { mechanism: string; username: string; password: string } | null;
  connectTimeoutMs?: number;
  /** Bind outgoing connections to this local address (fault tests partition brokers by address). */
  localAddress?: string;
  /** TLS material for wss:// URLs, read at each new connection: CA to verify the other broker, and this broker's certificate. */
  tls?: () => { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Where authentication failures and recoveries are logged. */
  logger?: Logger;
}

/** Least time between two connection attempts after a failed authentication. */
export const AUTH_RETRY_MS = 2000;

export class BrokerClient {
  private ws: WebSocket | null = null;
  private connecting: Promise<WebSocket> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** The last authentication failure, and until when new connections are not attempted. */
  private authFailure: { error: StrataError; until: number } | null = null;

  constructor(private readonly options: BrokerClientOptions) {}

  get url(): string {
    return this.options.url;
  }

  async request<N extends ApiName>(api: N, body: RequestInitOf<N>, timeoutMs: number): Promise<ResponseOf<N>> {
    const ws = await this.connection();
    return this.send(ws, api, body, timeoutMs);
  }

  private send<N extends ApiName>(ws: WebSocket, api: N, body: RequestInitOf<N>, timeoutMs: number): Promise<ResponseOf<N>> {
    const correlationId = this.nextId++;
    const frame = encodeRequestFrame(apiOf(api), { apiVersion: 0, correlationId, clientId: `strata-broker-${this.options.brokerId}` }, body);
    return new Promise<ResponseOf<N>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new StrataError(ERRORS.REQUEST_TIMED_OUT, `${api} to ${this.options.url} got no answer within ${timeoutMs} ms`));
        this.drop(ws);
      }, timeoutMs);
      timer.unref();
      this.pending.set(correlationId, { api, resolve: resolve as (v: unknown) => void, reject, timer });
      ws.send(frame, (err) => {
        if (err) this.fail(correlationId, new StrataError(ERRORS.NETWORK_EXCEPTION, `sending to ${this.options.url} failed: ${err.message}`));
      });
    });
  }

  private connection(): Promise<WebSocket> {
    if (this.closed) return Promise.reject(new StrataError(ERRORS.NETWORK_EXCEPTION, 'the connection was closed'));
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.authFailure && Date.now() < this.authFailure.until) return Promise.reject(this.authFailure.error);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<WebSocket> {
    const tls = this.options.url.startsWith('wss:') ? (this.options.tls?.() ?? {}) : {};
    const ws = new WebSocket(this.options.url, {
      ...tls,
      perMessageDeflate: false,
      maxPayload: 256 * 1024 * 1024,
      handshakeTimeout: this.options.connectTimeoutMs ?? 5000,
      ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
    });
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (e) => reject(new StrataError(ERRORS.NETWORK_EXCEPTION, `cannot connect to ${this.options.url}: ${e.message}`)));
    });
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('close', () => this.drop(ws));
    ws.on('error', () => this.drop(ws));
    const timeout = this.options.connectTimeoutMs ?? 5000;
    const versions = await this.send(ws, 'ApiVersions', { clientSoftwareName: 'strata-broker', clientSoftwareVersion: '0' }, timeout);
    const creds = this.options.credentials;
    if (versions.authMechanisms.length > 0) {
      try {
        if (!creds) {
          throw new StrataError(ERRORS.UNSUPPORTED_SASL_MECHANISM, `${this.options.url} requires authentication (${versions.authMechanisms.join(', ')}); set inter.broker.sasl.username and inter.broker.sasl.password.file`);
        }
        await this.authenticate(ws, creds, timeout);
      } catch (e) {
        ws.terminate();
        this.onAuthenticationFailed(e instanceof StrataError ? e : new StrataError(ERRORS.SASL_AUTHENTICATION_FAILED, (e as Error).message));
        throw e;
      }
      if (this.authFailure) this.options.logger?.info({ broker: this.options.url, user: creds!.username }, 'inter-broker authentication succeeded again');
      this.authFailure = null;
    }
    this.ws = ws;
    return ws;
  }

  private onAuthenticationFailed(error: StrataError): void {
    const first = this.authFailure === null || this.authFailure.error.message !== error.message;
    this.authFailure = { error, until: Date.now() + AUTH_RETRY_MS };
    if (!first) return;
    const creds = this.options.credentials;
    this.options.logger?.error(
      { broker: this.options.url, user: creds?.username, mechanism: creds?.mechanism, code: error.code, reason: error.message },
      'inter-broker authentication failed: this broker cannot replicate from or send requests to that broker until its inter.broker.sasl.* settings match a user of the cluster',
    );
  }

  private async authenticate(ws: WebSocket, creds: { mechanism: string; username: string; password: string }, timeoutMs: number): Promise<void> {
    const mechanism = scramMechanism(creds.mechanism);
    if (!mechanism) throw new StrataError(ERRORS.UNSUPPORTED_SASL_MECHANISM, `inter-broker mechanism ${creds.mechanism} is not SCRAM-SHA-256 or SCRAM-SHA-512`);
    const handshake = await this.send(ws, 'SaslHandshake', { mechanism: creds.mechanism.toUpperCase() }, timeoutMs);
    if (handshake.errorCode !== 0) throw errorFromCode(handshake.errorCode, handshake.errorMessage);
    const scram = new ScramClient(mechanism, creds.username, creds.password);
    const first = await this.send(ws, 'SaslAuthenticate', { authBytes: scram.firstMessage() }, timeoutMs);
    if (first.errorCode !== 0) throw errorFromCode(first.errorCode, first.errorMessage);
    const final = await this.send(ws, 'SaslAuthenticate', { authBytes: await scram.finalMessage(first.authBytes) }, timeoutMs);
    if (final.errorCode !== 0) throw errorFromCode(final.errorCode, final.errorMessage);
    scram.verifyServerFinal(final.authBytes);
  }

  private onFrame(data: Buffer): void {
    let frame;
    try {
      frame = decodeResponseFrame(data);
    } catch {
      this.drop(this.ws);
      return;
    }
    const p = this.pending.get(frame.correlationId);
    if (!p) return;
    this.pending.delete(frame.correlationId);
    clearTimeout(p.timer);
    if (frame.errorCode !== 0) {
      p.reject(errorFromCode(frame.errorCode, decodeErrorResponse(frame.body).message));
      return;
    }
    try {
      p.resolve(decodeMessage(apiOf(p.api).response, frame.body));
    } catch (e) {
      p.reject(e as Error);
    }
  }

  private fail(id: number, error: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(error);
  }

  /** Drops a connection and fails what waits on it. */
  private drop(ws: WebSocket | null): void {
    if (!ws) return;
    if (this.ws === ws) this.ws = null;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
    for (const id of [...this.pending.keys()]) this.fail(id, new StrataError(ERRORS.NETWORK_EXCEPTION, `the connection to ${this.options.url} closed`));
  }

  close(): void {
    this.closed = true;
    this.drop(this.ws);
  }
}
