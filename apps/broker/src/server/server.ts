/**
 * BrokerServer: one HTTP server on the broker's port. WebSocket upgrades become client
 * connections; plain HTTP serves GET /metrics (Prometheus text), GET /healthz and the web console
 * under /console/ (console-assets.ts).
 *
 * WebSocket settings: binary frames only, no per-message deflate (record batches carry their own
 * compression, and deflate would cost CPU on every frame), maxPayload = max.frame.bytes (larger
 * frames close the connection with 1009), TCP_NODELAY (ws sets it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ClientConnection, type ConnectionOptions } from './connection';
import { ConsoleAssets, findConsoleDir } from './console-assets';
import type { BrokerServices, RequestHandler } from './handler';

export class BrokerServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<ClientConnection>();
  private readonly console: ConsoleAssets;
  private closing = false;

  constructor(
    private readonly services: BrokerServices,
    handlers: ReadonlyMap<number, RequestHandler>,
    options: ConnectionOptions,
  ) {
    this.console = new ConsoleAssets(findConsoleDir(), services.config.consoleEnabled);
    this.http = createServer((req, res) => void this.onHttp(req, res));
    this.wss = new WebSocketServer({
      server: this.http,
      perMessageDeflate: false,
      maxPayload: options.maxFrameBytes,
      skipUTF8Validation: true,
      clientTracking: false,
    });
    this.wss.on('connection', (ws, req) => {
      if (this.closing) {
        ws.close(1001, 'broker shutting down');
        return;
      }
      const conn = new ClientConnection(ws, services, handlers, options, req.socket.remoteAddress ?? '');
      this.connections.add(conn);
      services.metrics.connections.inc();
      ws.on('close', () => {
        this.connections.delete(conn);
        services.metrics.connections.dec();
      });
    });
    this.wss.on('error', (err) => services.logger.error({ err }, 'websocket server error'));
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/metrics') {
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

  /** Starts listening; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
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

  /** Stops accepting, lets in-flight requests finish (at most `timeoutMs`), closes connections. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.shutdown(timeoutMs)));
    this.wss.close();
    this.http.closeAllConnections();
    await stopped;
  }
}
