/**
 * The console's one connection to Strata: a client built with the SDK's browser entry, its Admin,
 * and (made on first use) a producer for test messages. Everything the pages show comes through
 * here; there is no other API.
 *
 * The app shows nothing of the cluster before open() succeeded (the sign-in gate). A failure to
 * connect tells whether the broker wants credentials (see needsCredentials): the app then asks for
 * a SCRAM user name and password and opens a new session with them.
 *
 * Single-threaded (a browser page); close() may be called any time, more than once.
 */
import { Strata, StrataError, type Admin, type Logger, type Producer, type RecordMetadata } from '@strata/client';

export interface SessionOptions {
  /** ws:// or wss:// URLs; empty: the origin the console was loaded from. */
  brokers: readonly string[];
  /** Where SDK log lines go. */
  logger: Logger;
  /** Page location, for the same-origin default. */
  location: { protocol: string; host: string };
  /** SCRAM credentials from the sign-in form; kept in this page's memory only, never stored. */
  credentials?: Credentials | null;
}

export interface Credentials {
  mechanism: 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

/** The broker URL of the page's own origin: ws://host:port (wss:// when the page came over https). */
export function originBrokerUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
}

/** True when a connect failure means the broker wants the client to authenticate first. */
export function needsCredentials(error: unknown): boolean {
  return error instanceof StrataError && /SASL|AUTHENTICATION/.test(error.code);
}

export interface TestMessage {
  topic: string;
  /** Absent: the partitioner picks one. */
  partition?: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export class Session {
  readonly strata: Strata;
  readonly admin: Admin;
  readonly brokers: readonly string[];
  private producer: Promise<Producer> | null = null;
  private closed = false;

  private constructor(options: SessionOptions) {
    this.brokers = options.brokers.length > 0 ? [...options.brokers] : [originBrokerUrl(options.location)];
    const sasl = options.credentials ? { sasl: { ...options.credentials } } : {};
    this.strata = new Strata({ brokers: this.brokers, clientId: 'strata-console', logger: options.logger, retry: { retries: 2 }, ...sasl });
    this.admin = this.strata.admin();
  }

  /** Connects the Admin; rejects with the SDK's typed error when no broker answers. */
  static async open(options: SessionOptions): Promise<Session> {
    const session = new Session(options);
    try {
      await session.admin.connect();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** Produces one message with acks=all and waits for it; resolves with where it was written. */
  async produce(message: TestMessage): Promise<RecordMetadata> {
    this.producer ??= (async () => {
      const p = this.strata.producer({ lingerMs: 0, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })();
    const producer = await this.producer;
    const [written] = await producer.send({
      topic: message.topic,
      messages: [{ key: message.key, value: message.value, headers: message.headers, ...(message.partition === undefined ? {} : { partition: message.partition }) }],
    });
    return written!;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const producer = this.producer;
    this.producer = null;
    await Promise.allSettled([this.admin.disconnect(), producer?.then((p) => p.disconnect())]);
  }
}
