/**
 * A tiny WebSocket server that speaks Strata frames, for low-level connection tests only (timeouts,
 * handshake order, pipelining, close handling). Client behaviour tests use the real broker.
 * By default it answers ApiVersions with every API this build knows; tests decide the rest.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import {
  Apis,
  allApis,
  decodeMessage,
  decodeRequestFrame,
  encodeErrorResponseFrame,
  encodeResponseFrame,
  type ApiDefinition,
  type ApiName,
  type RequestHeader,
  type ResponseInitOf,
} from '@strata/protocol';

export interface ReceivedRequest {
  socket: WebSocket;
  header: RequestHeader;
  body: Uint8Array;
}

export interface FrameServer {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Called for each request after the handshake; the default handler answers nothing. */
  onRequest: (request: ReceivedRequest) => void;
  /** Called for ApiVersions; default: answer with every API. */
  onHandshake: (request: ReceivedRequest) => void;
  respond<N extends ApiName>(request: ReceivedRequest, name: N, body: ResponseInitOf<N>): void;
  respondError(request: ReceivedRequest, code: number, message: string): void;
  /** Resolves once `n` requests (handshakes included) have arrived. */
  waitForRequests(n: number): Promise<void>;
  sockets(): WebSocket[];
  close(): Promise<void>;
}

export function apiVersionsBody(maxVersion?: number): ResponseInitOf<'ApiVersions'> {
  return {
    errorCode: 0,
    apiKeys: allApis().map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: maxVersion ?? a.maxVersion })),
    brokerId: 7,
    clusterId: 'test-cluster',
    brokerVersion: 'frame-server',
    maxFrameBytes: 1024 * 1024,
    maxBatchBytes: 64 * 1024,
  };
}

export async function startFrameServer(): Promise<FrameServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  const received: ReceivedRequest[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server: FrameServer = {
    url: `ws://127.0.0.1:${address.port}`,
    received,
    onRequest: () => undefined,
    onHandshake: (r) => server.respond(r, 'ApiVersions', apiVersionsBody()),
    respond<N extends ApiName>(request: ReceivedRequest, name: N, body: ResponseInitOf<N>) {
      const api = Apis[name] as unknown as ApiDefinition<unknown, unknown, unknown, ResponseInitOf<N>>;
      request.socket.send(encodeResponseFrame(api, request.header.correlationId, body));
    },
    respondError(request, code, message) {
      request.socket.send(encodeErrorResponseFrame(request.header.correlationId, code, message));
    },
    waitForRequests(n) {
      if (received.length >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    sockets: () => [...wss.clients],
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      const { header, body } = decodeRequestFrame(new Uint8Array(data));
      const request = { socket, header, body };
      received.push(request);
      if (header.apiKey === Apis.ApiVersions.key) server.onHandshake(request);
      else server.onRequest(request);
      for (const w of [...waiters]) {
        if (received.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  });
  return server;
}

export { decodeMessage };
