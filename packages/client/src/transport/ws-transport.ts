/**
 * Node transport over the `ws` package: binary frames, no per-message compression (record batches
 * carry their own), Nagle off, incoming messages bounded by maxPayload. Node-only: the browser
 * entry never imports this file.
 */
import WebSocket from 'ws';
import type { TlsOptions, Transport, TransportConnectOptions, TransportConnection } from './transport';

/** Options of the `ws` transport. */
export interface WsTransportOptions {
  /** Extra options passed to the `ws` constructor (TLS settings, headers, agent...). */
  wsOptions?: Omit<WebSocket.ClientOptions, 'perMessageDeflate' | 'maxPayload'>;
}

class WsConnection implements TransportConnection {
  private closing = false;

  constructor(private readonly ws: WebSocket) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: Uint8Array): void {
    if (!this.isOpen) throw new Error('WebSocket is not open');
    this.ws.send(frame, { binary: true, compress: false });
  }

  close(code = 1000, reason = ''): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, reason);
  }
}

const pem = (v: string | Uint8Array): string | Buffer => (typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/** The SDK's TLS options as `ws` (node:tls) takes them. */
function nodeTls(tls: TlsOptions | undefined): WebSocket.ClientOptions & { servername?: string } {
  if (!tls) return {};
  const out: WebSocket.ClientOptions & { servername?: string } = {};
  if (tls.ca !== undefined) out.ca = Array.isArray(tls.ca) ? tls.ca.map(pem) : pem(tls.ca);
  if (tls.cert !== undefined) out.cert = pem(tls.cert);
  if (tls.key !== undefined) out.key = pem(tls.key);
  if (tls.passphrase !== undefined) out.passphrase = tls.passphrase;
  if (tls.servername !== undefined) out.servername = tls.servername;
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized;
  return out;
}

/** Creates the Node transport. */
export function wsTransport(options: WsTransportOptions = {}): Transport {
  return {
    name: 'ws',
    connect(url: string, opts: TransportConnectOptions): Promise<TransportConnection> {
      return new Promise<TransportConnection>((resolve, reject) => {
        let ws: WebSocket;
        try {
          ws = new WebSocket(url, {
            ...options.wsOptions,
            ...nodeTls(opts.tls),
            perMessageDeflate: false,
            maxPayload: opts.maxPayloadBytes,
            handshakeTimeout: opts.connectTimeoutMs,
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        ws.binaryType = 'nodebuffer';
        let opened = false;
        let lastError: Error | undefined;
        ws.on('upgrade', (response) => response.socket.setNoDelay(true));
        ws.on('open', () => {
          opened = true;
          resolve(new WsConnection(ws));
        });
        ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
          if (!isBinary) {
            ws.close(1003, 'text frames are not part of the protocol');
            return;
          }
          // 'nodebuffer' gives a Buffer; fragmented messages arrive concatenated. A plain Uint8Array
          // view of it: views of views stay cheap Uint8Arrays (Buffer's subarray is slower), and
          // consumers see the same types as in browsers.
          const buf = data as Buffer;
          opts.onMessage(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        });
        ws.on('error', (error: Error) => {
          lastError = error;
          if (!opened) reject(error);
        });
        ws.on('close', (code: number, reason: Buffer) => {
          if (!opened) {
            reject(lastError ?? new Error(`connection closed during the handshake (code ${code})`));
            return;
          }
          opts.onClose(lastError ? { code, reason: reason.toString(), error: lastError } : { code, reason: reason.toString() });
        });
      });
    },
  };
}
