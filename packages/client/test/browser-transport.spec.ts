/**
 * The browser transport speaks the WHATWG WebSocket API; `ws`'s WebSocket class implements that
 * API (onopen, onmessage, binaryType 'arraybuffer'...), so it stands in for a browser's here.
 */
import WebSocket from 'ws';
import { ApiKey } from '@strata/protocol';
import { browserTransport, silentLogger, type WebSocketConstructor } from '../src';
import { StrataClient } from '../src/strata';
import { makeConnection } from './helpers/connections';
import { startFrameServer, type FrameServer } from './helpers/frame-server';

const BrowserLikeWebSocket = WebSocket as unknown as WebSocketConstructor;

describe('browser transport', () => {
  let server: FrameServer;
  beforeEach(async () => {
    server = await startFrameServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('carries binary frames both ways and reports closes', async () => {
    const { connection, events } = makeConnection(server.url, { transport: browserTransport(BrowserLikeWebSocket) });
    const closed = new Promise<void>((resolve) => events.on('connection.close', () => resolve()));
    server.onRequest = (r) => server.respond(r, 'Metadata', { controllerId: 42 });
    await connection.connect();
    expect((await connection.request('Metadata', {})).controllerId).toBe(42);
    expect(server.received.map((r) => r.header.apiKey)).toEqual([ApiKey.ApiVersions, ApiKey.Metadata]);
    for (const s of server.sockets()) s.close();
    await closed;
    expect(connection.isClosed).toBe(true);
  });

  it('rejects connect() when the server is unreachable', async () => {
    const url = server.url;
    await server.close();
    const transport = browserTransport(BrowserLikeWebSocket);
    await expect(transport.connect(url, { maxPayloadBytes: 1024, connectTimeoutMs: 5000, onMessage: () => undefined, onClose: () => undefined })).rejects.toThrow();
    server = await startFrameServer();
  });

  it('says clearly when there is no global WebSocket', async () => {
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    delete g.WebSocket;
    try {
      await expect(browserTransport().connect(server.url, { maxPayloadBytes: 1, connectTimeoutMs: 1, onMessage: () => undefined, onClose: () => undefined })).rejects.toThrow(
        /no global WebSocket/,
      );
    } finally {
      if (saved !== undefined) g.WebSocket = saved;
    }
  });

  it('is what the browser entry uses by default', async () => {
    const browser = await import('../src/browser');
    const strata = new browser.Strata({ brokers: [server.url], logger: silentLogger });
    expect(strata).toBeInstanceOf(StrataClient);
  });
});
