/**
 * The seam between the SDK and the network. The SDK core speaks frames (one Uint8Array per
 * WebSocket binary message) and knows nothing about sockets; a Transport opens connections.
 * Adapters: `wsTransport()` for Node (the `ws` package) and `browserTransport()` for the global
 * WebSocket of browsers (and Deno, Bun, Node >= 22).
 */

/** TLS settings of wss:// connections (the Node transport; browsers use their own trust store). */
export interface TlsOptions {
  /** PEM CA certificates to trust instead of the system's. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** PEM client certificate (mutual TLS). */
  cert?: string | Uint8Array;
  /** PEM private key of `cert`. */
  key?: string | Uint8Array;
  passphrase?: string;
  /** Server name to verify (SNI); default: the URL's host. */
  servername?: string;
  /**
   * Verify the broker's certificate.
   * @default true
   */
  rejectUnauthorized?: boolean;
}

export interface TransportConnectOptions {
  /** TLS settings for wss:// URLs. */
  tls?: TlsOptions;
  /** Largest incoming message accepted, in bytes; bigger ones close the connection. */
  maxPayloadBytes: number;
  /** Give up connecting after this many milliseconds. */
  connectTimeoutMs: number;
  /** Called with every incoming binary message. Never called after onClose. */
  onMessage(frame: Uint8Array): void;
  /**
   * Called once when the connection closes for any reason, after connect() resolved. `error` is
   * set when it closed because of a failure rather than a normal close.
   */
  onClose(info: TransportCloseInfo): void;
}

export interface TransportCloseInfo {
  code: number;
  reason: string;
  error?: Error;
}

export interface TransportConnection {
  /** Sends one frame as one binary message. Throws if the connection is not open. */
  send(frame: Uint8Array): void;
  /** Starts a normal close; onClose follows. Calling it again does nothing. */
  close(code?: number, reason?: string): void;
  /** Bytes queued for sending but not yet written to the network. */
  readonly bufferedAmount: number;
  /** True from open until close starts. */
  readonly isOpen: boolean;
}

export interface Transport {
  /** Name for logs: 'ws', 'browser'... */
  readonly name: string;
  /** Opens a connection to `url`; rejects with an Error if that fails or times out. */
  connect(url: string, options: TransportConnectOptions): Promise<TransportConnection>;
}
