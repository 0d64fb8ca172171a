/**
 * `new Kafka(config)`: KafkaJS's entry object, translating its client configuration to the SDK's.
 *
 * - `brokers: ['host:port']` become `ws://host:port` (`wss://` with `ssl`); `ws://` / `wss://` URLs
 *   pass unchanged. A function of brokers is refused (pass the list).
 * - `ssl: true` selects wss://; an `ssl` object is also handed to the `ws` transport as its TLS
 *   options (ca, cert, key, rejectUnauthorized...).
 * - `logLevel` / `logCreator` work as in KafkaJS (default: INFO, one JSON line per entry on the
 *   console) and also receive the SDK's own log lines.
 * - `sasl`, `socketFactory` and `enforceRequestTimeout: false` are refused (KafkaJSNotImplemented);
 *   `authenticationTimeout` and `reauthenticationThreshold` only concern SASL: accepted, unused.
 * Each producer, consumer and admin gets its own SDK client (and so its own connections).
 */
import type { ConnectionOptions } from 'node:tls';
import { Strata } from '../index';
import type { StrataOptions } from '../config/client-options';
import type { LogLevel } from '../logger';
import { wsTransport } from '../transport/ws-transport';
import { Admin, type AdminConfig } from './admin';
import { Consumer, type ConsumerConfig } from './consumer';
import { invalidOption, notSupported } from './errors';
import { createLogger, defaultLogCreator, isLogLevel, logLevel, toStrataLogger, type Logger, type logCreator } from './logger';
import { checkKeys, refuse, toStrataRetry, type RetryOptions } from './options';
import { Producer, type ComponentContext, type ProducerConfig } from './producer';

export type BrokersFunction = () => string[] | Promise<string[]>;

export interface KafkaConfig {
  brokers: string[] | BrokersFunction;
  ssl?: ConnectionOptions | boolean;
  sasl?: unknown;
  clientId?: string;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  socketFactory?: unknown;
  logLevel?: logLevel;
  logCreator?: logCreator;
}

const CONFIG_KEYS = [
  'brokers', 'ssl', 'sasl', 'clientId', 'connectionTimeout', 'authenticationTimeout', 'reauthenticationThreshold', 'requestTimeout',
  'enforceRequestTimeout', 'retry', 'socketFactory', 'logLevel', 'logCreator',
] as const;

/** The SDK's level for KafkaJS's, so the SDK does not even build lines nobody wants. */
const SDK_LEVEL: Readonly<Record<logLevel, LogLevel>> = { 0: 'nothing', 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };

/** `host:port` (or a ws:// / wss:// URL) as the URL the SDK connects to. */
export function brokerUrl(broker: unknown, tls: boolean, index: number): string {
  const option = `brokers[${index}]`;
  if (typeof broker !== 'string' || broker.trim().length === 0) throw invalidOption(option, `expected "host:port", got ${JSON.stringify(broker)}`);
  const b = broker.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(b) ? b : `${tls ? 'wss' : 'ws'}://${b}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidOption(option, `expected "host:port", got ${JSON.stringify(broker)}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw invalidOption(option, `expected "host:port" or a ws:// / wss:// URL, got ${JSON.stringify(broker)}`);
  if (tls && parsed.protocol === 'ws:') throw invalidOption(option, `ssl is set but ${JSON.stringify(broker)} is a ws:// (plain) URL`);
  return url;
}

export class Kafka {
  private readonly base: StrataOptions;
  private readonly rootLogger: Logger;
  private readonly context: ComponentContext;

  constructor(config: KafkaConfig) {
    if (!config || typeof config !== 'object') throw invalidOption('brokers', 'expected new Kafka({ brokers: ["host:port"], clientId? })');
    checkKeys(config, CONFIG_KEYS, 'kafka');
    refuse(config, { sasl: 'Strata has no SASL authentication yet', socketFactory: 'Strata connects over WebSocket (the ws package); pass ssl options instead' }, 'kafka');
    if (config.enforceRequestTimeout === false) throw notSupported('kafka.enforceRequestTimeout', 'the SDK always enforces requestTimeout');
    if (typeof config.brokers === 'function') throw notSupported('kafka.brokers', 'a function of brokers is not supported: pass the list, e.g. ["localhost:9092"]');
    if (!Array.isArray(config.brokers) || config.brokers.length === 0) throw invalidOption('brokers', 'expected a non-empty array such as ["localhost:9092"]');
    const level = config.logLevel ?? logLevel.INFO;
    if (!isLogLevel(level)) throw invalidOption('logLevel', `expected a logLevel (NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5), got ${JSON.stringify(config.logLevel)}`);
    if (config.logCreator !== undefined && typeof config.logCreator !== 'function') throw invalidOption('logCreator', 'expected a function (logLevel) => (entry) => void');
    this.rootLogger = createLogger(level, config.logCreator ?? defaultLogCreator);
    const ssl = config.ssl;
    if (ssl !== undefined && typeof ssl !== 'boolean' && (typeof ssl !== 'object' || ssl === null)) throw invalidOption('ssl', 'expected true or tls.connect() options');
    const tls = ssl !== undefined && ssl !== false;
    const brokers = config.brokers.map((b, i) => brokerUrl(b, tls, i));
    const base: StrataOptions = { brokers, logLevel: SDK_LEVEL[level] };
    if (config.clientId !== undefined) base.clientId = config.clientId;
    if (config.connectionTimeout !== undefined) base.connectionTimeoutMs = config.connectionTimeout;
    if (config.requestTimeout !== undefined) base.requestTimeoutMs = config.requestTimeout;
    const retry = toStrataRetry(config.retry, 'kafka', false);
    if (retry) base.retry = retry;
    // The ws client options include Node's TLS options (ca, cert, key, rejectUnauthorized, servername...).
    if (typeof ssl === 'object') base.transport = wsTransport({ wsOptions: ssl as NonNullable<Parameters<typeof wsTransport>[0]>['wsOptions'] });
    this.base = base;
    const clientId = config.clientId ?? 'strata-client';
    this.context = {
      clientId,
      logger: this.rootLogger,
      strata: ({ namespace, ...overrides }) => new Strata({ ...this.base, ...overrides, logger: toStrataLogger(this.rootLogger.namespace(namespace)) }),
    };
    // Invalid client options (a timeout of -1...) throw here, as KafkaJS programs expect.
    this.context.strata({ namespace: 'Kafka' });
  }

  producer(config?: ProducerConfig): Producer {
    return new Producer(this.namespaced('Producer'), config);
  }

  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this.namespaced('Consumer'), config);
  }

  admin(config?: AdminConfig): Admin {
    return new Admin(this.namespaced('Admin'), config);
  }

  logger(): Logger {
    return this.rootLogger;
  }

  private namespaced(namespace: string): ComponentContext {
    return { ...this.context, logger: this.rootLogger.namespace(namespace) };
  }
}
