/**
 * The SDK's link to one broker URL. Hands out a ready Connection, opening a new one when there is
 * none or the previous one closed (a broker restart, a network blip): reconnection is lazy, on the
 * next request, and paced by the caller's Retrier (exponential backoff with jitter) because every
 * connection failure is a retriable error.
 *
 * Invariants: at most one connection attempt at a time (concurrent callers share it); after
 * close() no new connection is opened. Single-threaded.
 */
import type { ApiName, RequestInitOf, ResponseOf } from '@strata/protocol';
import { StrataClosedError } from '../errors';
import type { Connection, RequestOptions } from './connection';

export type ConnectionFactory = (url: string, onClose: (connection: Connection) => void) => Connection;

export class BrokerConnection {
  private current: Connection | null = null;
  private opening: Promise<Connection> | null = null;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly factory: ConnectionFactory,
  ) {}

  /** True when a connection is open and past its handshake. */
  get isConnected(): boolean {
    return this.current?.isReady ?? false;
  }

  /** The open connection, if any (no connection attempt). */
  get connectionIfReady(): Connection | null {
    return this.current?.isReady ? this.current : null;
  }

  /** A ready connection: the current one, or a new one (one attempt; failures are retriable). */
  connection(): Promise<Connection> {
    if (this.closed) return Promise.reject(new StrataClosedError(`the connection to ${this.url} was closed`));
    const current = this.current;
    if (current?.isReady) return Promise.resolve(current);
    if (!this.opening) {
      this.opening = this.open().finally(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  async request<N extends ApiName>(name: N, body: RequestInitOf<N>, options?: RequestOptions): Promise<ResponseOf<N>> {
    const connection = await this.connection();
    return connection.request(name, body, options);
  }

  async send<N extends ApiName>(name: N, body: RequestInitOf<N>, options?: RequestOptions): Promise<void> {
    const connection = await this.connection();
    return connection.send(name, body, options);
  }

  /** Closes the connection for good; pending requests reject with NETWORK_EXCEPTION. */
  close(): void {
    this.closed = true;
    this.current?.close();
    this.current = null;
  }

  private async open(): Promise<Connection> {
    const connection = this.factory(this.url, (c) => {
      if (this.current === c) this.current = null;
    });
    await connection.connect();
    if (this.closed) {
      connection.close();
      throw new StrataClosedError(`the connection to ${this.url} was closed`);
    }
    this.current = connection;
    return connection;
  }
}
