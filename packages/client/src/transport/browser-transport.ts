/**
 * Browser transport over the platform WebSocket (also Deno, Bun and Node >= 22). Binary messages
 * arrive as ArrayBuffers. The browser API cannot limit incoming message size before receipt, so the
 * connection checks frame sizes itself.
 */
import type { Transport, TransportConnectOptions, TransportConnection } from './transport';

/** The part of the WHATWG WebSocket API this transport uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;

class BrowserConnection implements TransportConnection {
  private closing = false;

  constructor(private readonly ws: WebSocketLike) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === OPEN;
  }

  send(frame: Uint8Array): void {
    if (!this.isOpen) throw new Error('WebSocket is not open');
    this.ws.send(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, reason);
  }
}

/**
 * Creates the browser transport. `WebSocketImpl` defaults to `globalThis.WebSocket`; pass another
 * constructor with the same API where there is no global one.
 */
export function browserTransport(WebSocketImpl?: WebSocketConstructor): Transport {
  return {
    name: 'browser',
    connect(url: string, opts: TransportConnectOptions): Promise<TransportConnection> {
      const Impl = WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!Impl) return Promise.reject(new Error('no global WebSocket: pass a WebSocket implementation to browserTransport()'));
      if (opts.tls && Object.keys(opts.tls).length > 0) {
        return Promise.reject(new Error('browsers verify wss:// certificates with their own trust store: the tls option (ca, cert, key...) is not available here'));
      }
      return new Promise<TransportConnection>((resolve, reject) => {
        let ws: WebSocketLike;
        try {
          ws = new Impl(url);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        ws.binaryType = 'arraybuffer';
        let opened = false;
        let failed: Error | undefined;
        const timer = setTimeout(() => {
          failed = new Error(`connecting to ${url} timed out after ${opts.connectTimeoutMs} ms`);
          ws.close();
          reject(failed);
        }, opts.connectTimeoutMs);
        ws.onopen = () => {
          clearTimeout(timer);
          if (failed) return;
          opened = true;
          resolve(new BrowserConnection(ws));
        };
        ws.onmessage = (event) => {
          const data = event.data;
          if (data instanceof ArrayBuffer) {
            if (data.byteLength > opts.maxPayloadBytes) {
              failed = new Error(`frame of ${data.byteLength} bytes exceeds the limit of ${opts.maxPayloadBytes}`);
              ws.close(1009, 'message too big');
              return;
            }
            opts.onMessage(new Uint8Array(data));
          } else if (ArrayBuffer.isView(data)) {
            opts.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          } else {
            failed = new Error('received a text message; the protocol uses binary messages only');
            ws.close(1003, 'text frames are not part of the protocol');
          }
        };
        ws.onerror = () => {
          // Browsers hide the cause of WebSocket errors; onclose follows with a code.
          failed ??= new Error(`WebSocket error on ${url}`);
        };
        ws.onclose = (event) => {
          clearTimeout(timer);
          ws.onmessage = null;
          if (!opened) {
            reject(failed ?? new Error(`connection to ${url} closed during the handshake (code ${event.code})`));
            return;
          }
          opts.onClose(failed ? { code: event.code, reason: event.reason, error: failed } : { code: event.code, reason: event.reason });
        };
      });
    },
  };
}
