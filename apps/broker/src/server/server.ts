/**
 * BrokerServer: one HTTP (or HTTPS, with ssl.cert.file) server on the broker's port. WebSocket
 * upgrades become client connections; plain HTTP serves GET /metrics (Prometheus text, optionally
 * behind a bearer token), GET /healthz and the web console under /console/ (console-assets.ts).
 *
 * Admission, in order:
 * 1. TCP accept: max.connections (capped to fit `ulimit -n`) and max.connections.per.ip; over a
 *    limit the socket gets an HTTP 503 naming the limit and is closed at once. The handshake timer
 *    (connection.handshake.timeout.ms) starts here and stops when the connection has answered
 *    ApiVersions (and authenticated, when the broker requires it); an HTTP request stops it too.
 * 2. TLS (wss://): the certificate check of ssl.client.auth happens in the TLS handshake.
 * 3. HTTP upgrade: a browser's Origin must be the broker's own (its console) or in allowed.origins
 *    (403 otherwise; clients that send no Origin pass); a TLS client certificate that was sent but
 *    does not verify is refused (403).
 * All connections share one RequestMemoryPool (queued.max.request.bytes).
 *
 * WebSocket settings: binary frames only, no per-message deflate (record batches carry their own
 * compression, and deflate would cost CPU on every frame), maxPayload = max.frame.bytes (larger
 * frames close the connection with 1009), TCP_NODELAY (ws sets it).
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SecuritySettings } from '../config/broker-config';
import { ClientConnection, type ConnectionOptions } from './connection';
import { ConsoleAssets, findConsoleDir } from './console-assets';
import { ConnectionLimits, readDescriptorLimit } from './connection-limits';
import type { BrokerServices, RequestHandler } from './handler';
import { RequestMemoryPool } from './memory-pool';
import { readTlsFiles, tlsPrincipal, watchTlsFiles } from './tls-context';

export interface ServerOptions extends Omit<ConnectionOptions, 'pool' | 'frameTimeoutMs'> {
  settings: SecuritySettings;
  /** log.open.files.max: descriptors the log may hold. */
  maxOpenFiles: number;
  /** The process's descriptor limit; default: read from the OS. */
  descriptorLimit?: number | null;
}

/** Per TCP socket: its handshake timer and, once upgraded, its connection. */
interface SocketState {
  ip: string;
  timer: NodeJS.Timeout | null;
  connection: ClientConnection | null;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** "::ffff:127.0.0.1" → "127.0.0.1". */
function clientIp(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export class BrokerServer {
  private readonly http: Server | TlsServer;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<ClientConnection>();
  private readonly console: ConsoleAssets;
  private readonly sockets = new WeakMap<Socket, SocketState>();
  private readonly limits: ConnectionLimits;
  readonly pool: RequestMemoryPool;
  private readonly metricsToken: Buffer | null;
  private readonly tls: boolean;
  private stopWatching: () => void = () => undefined;
  private closing = false;

  constructor(
    private readonly services: BrokerServices,
    private readonly handlers: ReadonlyMap<number, RequestHandler>,
    private readonly options: ServerOptions,
  ) {
    this.console = new ConsoleAssets(findConsoleDir(), services.config.consoleEnabled);
    const s = options.settings;
    this.pool = new RequestMemoryPool(s.queuedMaxRequestBytes, (held) => services.metrics.queuedRequestBytes.set(held));
    this.limits = new ConnectionLimits({
      maxConnections: s.maxConnections,
      maxConnectionsPerIp: s.maxConnectionsPerIp,
      maxOpenFiles: options.maxOpenFiles,
      descriptorLimit: options.descriptorLimit === undefined ? readDescriptorLimit() : options.descriptorLimit,
    });
    if (this.limits.loweredFrom !== null) {
      services.logger.warn(
        { 'max.connections': this.limits.loweredFrom, effective: this.limits.maxConnections, 'log.open.files.max': options.maxOpenFiles },
        'max.connections lowered to fit the descriptor limit (ulimit -n) minus log.open.files.max and a reserve for checkpoints; raise ulimit -n to accept more connections',
      );
    }
    this.metricsToken = s.metricsTokenFile ? Buffer.from(readFileSync(s.metricsTokenFile, 'utf8').trim()) : null;
    this.tls = s.sslCertFile !== '';
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.onHttp(req, res);
    if (this.tls) {
      const server = createTlsServer(
        { ...readTlsFiles(s), requestCert: s.sslClientAuth !== 'none', rejectUnauthorized: s.sslClientAuth === 'required' },
        onRequest,
      );
      server.on('tlsClientError', (err) => {
        services.metrics.connectionsRefused.inc({ reason: 'tls' });
        services.logger.debug({ err }, 'TLS handshake failed');
      });
      this.http = server;
      this.stopWatching = watchTlsFiles(s, () => this.reloadCertificates(), services.logger);
    } else {
      this.http = createServer(onRequest);
    }
    this.http.on('connection', (socket: Socket) => this.onSocket(socket));
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: options.maxFrameBytes,
      skipUTF8Validation: true,
      clientTracking: false,
    });
    this.wss.on('error', (err) => services.logger.error({ err }, 'websocket server error'));
  }

  /** Reloads the TLS certificate, key and CA from their files; the listener stays up. */
  reloadCertificates(): boolean {
    if (!this.tls) return false;
    try {
      (this.http as TlsServer).setSecureContext(readTlsFiles(this.options.settings));
      this.services.logger.info('TLS certificates reloaded');
      return true;
    } catch (err) {
      this.services.logger.error({ err }, 'TLS certificates could not be reloaded; keeping the previous ones');
      return false;
    }
  }

  private onSocket(socket: Socket): void {
    // Responses are single frames written whole: Nagle would only hold a small one back for the
    // peer's delayed ACK (up to 40 ms on Linux). Node's HTTP servers disable it by default; say so.
    socket.setNoDelay(true);
    const ip = clientIp(socket);
    const admission = this.closing ? { ok: false as const, reason: 'shutting-down', message: 'the broker is shutting down' } : this.limits.admit(ip);
    if (!admission.ok) {
      this.services.metrics.connectionsRefused.inc({ reason: admission.reason });
      this.refuse(socket, 503, `${admission.message}; try again later`);
      return;
    }
    const state: SocketState = { ip, timer: null, connection: null };
    const timeoutMs = this.options.settings.handshakeTimeoutMs;
    state.timer = setTimeout(() => {
      state.timer = null;
      if (state.connection) state.connection.handshakeTimedOut(timeoutMs);
      else {
        this.services.metrics.connectionsClosed.inc({ reason: 'handshake-timeout' });
        socket.destroy();
      }
    }, timeoutMs);
    this.sockets.set(socket, state);
    socket.once('close', () => {
      if (state.timer) clearTimeout(state.timer);
      this.limits.release(ip);
    });
  }

  /** Answers a raw socket with an HTTP error and closes it (TLS sockets before their handshake are just closed). */
  private refuse(socket: Socket, status: number, message: string): void {
    if (this.tls && !('encrypted' in socket)) {
      socket.destroy();
      return;
    }
    const reason = status === 503 ? 'Service Unavailable' : status === 403 ? 'Forbidden' : 'Unauthorized';
    // Closed as soon as the answer is handed to the kernel: a refused socket must not keep its
    // descriptor (a flood of them would otherwise take what the limits keep free).
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(message) + 1}\r\n\r\n${message}\n`, () =>
      socket.destroy(),
    );
  }

  /** The TCP socket under an HTTP request's socket (a TLSSocket wraps it in `_parent`, untyped). */
  private stateOf(socket: Socket): SocketState | undefined {
    return this.sockets.get(socket) ?? this.sockets.get((socket as unknown as { _parent?: Socket })._parent ?? socket);
  }

  /**
   * A page this broker served itself (the web console at /console/) connects from the broker's own
   * origin: the scheme and Host of the upgrade request. Only for hosts that name this broker — an IP
   * address, localhost or the advertised URL's host — so that a page of another site whose name was
   * rebound to this address (DNS rebinding) is still refused. Other pages need allowed.origins.
   */
  private isSameOrigin(origin: string, req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (host === undefined || origin !== `${this.tls ? 'https' : 'http'}://${host}`) return false;
    let hostname: string;
    try {
      hostname = new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      return false;
    }
    if (hostname === 'localhost' || isIP(hostname) !== 0) return true;
    try {
      return new URL(this.services.advertisedUrl()).hostname === hostname;
    } catch {
      return false;
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const state = this.stateOf(socket);
    const s = this.options.settings;
    const origin = req.headers.origin;
    if (origin !== undefined && !s.allowedOrigins.includes('*') && !s.allowedOrigins.includes(origin) && !this.isSameOrigin(origin, req)) {
      this.services.metrics.connectionsRefused.inc({ reason: 'origin' });
      this.refuse(socket, 403, `connections from web pages of ${origin} are not allowed: add it to the broker's allowed.origins`);
      return;
    }
    let principal: string | null = null;
    if (this.tls && s.sslClientAuth !== 'none') {
      const tlsSocket = socket as TLSSocket;
      principal = tlsPrincipal(tlsSocket);
      const sent = Object.keys(tlsSocket.getPeerCertificate() ?? {}).length > 0;
      if (sent && principal === null) {
        this.services.metrics.connectionsRefused.inc({ reason: 'tls' });
        this.refuse(socket, 403, `the client certificate was refused: ${String(tlsSocket.authorizationError)}`);
        return;
      }
    }
    if (this.closing) {
      this.refuse(socket, 503, 'the broker is shutting down');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, state, principal));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, state: SocketState | undefined, principal: string | null): void {
    const services = this.services;
    const peer = { host: clientIp(req.socket), tlsPrincipal: principal };
    const conn = new ClientConnection(ws, services, this.handlers, { ...this.options, pool: this.pool, frameTimeoutMs: this.options.settings.frameTimeoutMs }, peer, () => {
      if (state?.timer) clearTimeout(state.timer);
      if (state) state.timer = null;
    });
    if (state) state.connection = conn;
    this.connections.add(conn);
    services.metrics.connections.inc();
    ws.on('close', () => {
      this.connections.delete(conn);
      services.metrics.connections.dec();
    });
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const state = this.stateOf(req.socket);
    if (state?.timer) {
      // An HTTP client (a scraper): node's own keep-alive and request timeouts apply from here.
      clearTimeout(state.timer);
      state.timer = null;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/metrics') {
      if (this.metricsToken && !this.bearerMatches(req.headers.authorization)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
        res.end('GET /metrics needs "Authorization: Bearer <token>" (metrics.token.file)\n');
        return;
      }
      const body = await this.services.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': this.services.metrics.registry.contentType });
      res.end(body);
    } else if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(this.closing ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(this.closing ? 'shutting down\n' : 'ok\n');
    } else if (this.console.handles(path)) {
      await this.console.serve(req, res, path).catch((err: unknown) => {
        this.services.logger.error({ err, path }, 'cannot serve the web console');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      });
    } else {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('Strata speaks its protocol over WebSocket; HTTP serves only /metrics, /healthz and the web console at /console/.\n');
    }
  }

  private bearerMatches(header: string | undefined): boolean {
    const token = this.metricsToken!;
    const m = /^Bearer (.+)$/.exec(header ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    // Compare equal lengths only (timingSafeEqual's rule); the length itself is not secret.
    return given.length === token.length && timingSafeEqual(given, token);
  }

  /** Starts listening; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    if (!this.tls && !LOOPBACK.test(host)) {
      this.services.logger.warn(
        { host },
        'SECURITY WARNING: listening on a non-loopback interface WITHOUT TLS: traffic (records, credentials) is readable on the network. Set ssl.cert.file and ssl.key.file (see docs/security.md).',
      );
    }
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, host, () => {
        this.http.off('error', onError);
        resolve((this.http.address() as AddressInfo).port); // listening on TCP, so an AddressInfo
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get isTls(): boolean {
    return this.tls;
  }

  /** Stops accepting, lets in-flight requests finish (at most `timeoutMs`), closes connections. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopWatching();
    const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.shutdown(timeoutMs)));
    this.wss.close();
    this.http.closeAllConnections();
    await stopped;
  }
}
