/**
 * Options of `new Strata(...)`: one typed interface, one DEFAULTS object, one schema, validated
 * once in the constructor.
 */
import { DEFAULT_MAX_FRAME_BYTES } from '@strata/protocol';
import type { Clock } from '../clock';
import { StrataConfigError } from '../errors';
import { consoleLogger, type Logger, type LogLevel } from '../logger';
import { RETRY_DEFAULTS, type RetryOptions } from '../retry';
import type { SaslOptions } from '../network/sasl-authenticator';
import type { TlsOptions, Transport } from '../transport/transport';
import { arrayOf, bool, custom, discriminated, fn, int, num, oneOf, string, strictObject, text, trueOr, union, withMethods } from './schema';
import { validateOptions } from './validate';

export interface StrataOptions {
  /** Bootstrap broker URLs, e.g. `['ws://127.0.0.1:9092']` (ws:// or wss://). Any one is enough to find the rest. */
  brokers: readonly string[];
  /**
   * Sent with every request; shows in broker logs and metrics.
   * @default 'strata-client'
   */
  clientId?: string;
  /**
   * How to open WebSocket connections. The Node entry defaults to the `ws` package, the browser entry
   * to the global WebSocket.
   */
  transport?: Transport;
  /**
   * How long to wait for a response before failing a request with REQUEST_TIMED_OUT (retriable).
   * Long-poll fetches add their `maxWaitMs` to it.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How long opening a connection (socket, WebSocket upgrade and ApiVersions handshake) may take.
   * @default 10000
   */
  connectionTimeoutMs?: number;
  /**
   * Most requests awaiting a response on one connection; further requests queue in order.
   * `null`: no limit.
   * @default null
   */
  maxInFlightRequests?: number | null;
  /**
   * Topic metadata older than this is fetched again before use.
   * @default 300000
   */
  metadataMaxAgeMs?: number;
  /**
   * Largest frame accepted from a broker, in bytes.
   * @default 67108864 (64 MiB)
   */
  maxFrameBytes?: number;
  /** Retry and reconnect backoff; see RetryOptions for each field's default. */
  retry?: Partial<RetryOptions>;
  /**
   * Where log lines go. Defaults to the console at `logLevel`.
   */
  logger?: Logger;
  /**
   * Level of the default console logger (ignored when `logger` is given).
   * @default 'warn'
   */
  logLevel?: LogLevel;
  /** Time source, for tests. @default the system clock */
  clock?: Clock;
  /**
   * Credentials for brokers that require authentication (as KafkaJS): `{ mechanism: 'scram-sha-256' |
   * 'scram-sha-512', username, password }` or `{ mechanism: 'oauthbearer', oauthBearerProvider }`.
   * Used only when a broker asks for it.
   */
  sasl?: SaslOptions;
  /**
   * TLS settings of wss:// brokers (Node only; browsers use their own trust store): `true` for the
   * defaults, or `{ ca, cert, key, passphrase, servername, rejectUnauthorized }`.
   */
  tls?: true | TlsOptions;
}

export const CLIENT_DEFAULTS = Object.freeze({
  clientId: 'strata-client',
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
  maxInFlightRequests: null as number | null,
  metadataMaxAgeMs: 300_000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  logLevel: 'warn' as LogLevel,
  retry: RETRY_DEFAULTS,
});

const brokerUrl = string('expected a ws:// or wss:// URL').refine((s) => {
  try {
    const url = new URL(s);
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}, 'expected a ws:// or wss:// URL such as "ws://127.0.0.1:9092"');

export const retrySchema = strictObject({
  retries: int(0).optional(),
  initialRetryTimeMs: int(0).optional(),
  maxRetryTimeMs: int(0).optional(),
  multiplier: num(1, 100).optional(),
  factor: num(0, 1).optional(),
});

const pemSchema = union([string('expected a string'), custom<Uint8Array>('bytes', (v) => v instanceof Uint8Array)], 'expected a PEM string or bytes');

const saslSchema = discriminated(
  'mechanism',
  {
    'scram-sha-256': strictObject({ mechanism: oneOf(['scram-sha-256'] as const), username: text(), password: string('expected a string') }),
    'scram-sha-512': strictObject({ mechanism: oneOf(['scram-sha-512'] as const), username: text(), password: string('expected a string') }),
    oauthbearer: strictObject({ mechanism: oneOf(['oauthbearer'] as const), oauthBearerProvider: fn<() => Promise<{ value: string }>>('a function returning a Promise of { value: token }') }),
  },
  'expected { mechanism: "scram-sha-256" | "scram-sha-512", username, password } or { mechanism: "oauthbearer", oauthBearerProvider }',
);

const tlsSchema = trueOr(
  strictObject({
    ca: union([pemSchema, arrayOf(pemSchema, 'expected an array of PEM strings or bytes')], 'expected a PEM string or bytes, or an array of them').optional(),
    cert: pemSchema.optional(),
    key: pemSchema.optional(),
    passphrase: string('expected a string').optional(),
    servername: text().optional(),
    rejectUnauthorized: bool().optional(),
  }, 'expected true or { ca?, cert?, key?, passphrase?, servername?, rejectUnauthorized? }'),
);

const clientSchema = strictObject({
  brokers: arrayOf(brokerUrl, 'expected a non-empty array of ws:// URLs', { count: 1, message: 'expected at least one broker URL' }),
  clientId: text().optional(),
  transport: withMethods<Transport>('a Transport', ['connect']).optional(),
  requestTimeoutMs: int(1).optional(),
  connectionTimeoutMs: int(1).optional(),
  maxInFlightRequests: int(1).nullable().optional(),
  metadataMaxAgeMs: int(0).optional(),
  maxFrameBytes: int(1024).optional(),
  retry: retrySchema.optional(),
  logger: withMethods<Logger>('a Logger', ['debug', 'info', 'warn', 'error']).optional(),
  logLevel: oneOf(['debug', 'info', 'warn', 'error', 'nothing'] as const).optional(),
  clock: withMethods<Clock>('a Clock', ['now', 'setTimeout', 'clearTimeout']).optional(),
  sasl: saslSchema.optional(),
  tls: tlsSchema.optional(),
});

/** Options after validation, with every default filled in. */
export interface ResolvedClientOptions {
  brokers: readonly string[];
  clientId: string;
  transport: Transport | undefined;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  maxInFlightRequests: number | null;
  metadataMaxAgeMs: number;
  maxFrameBytes: number;
  retry: Readonly<RetryOptions>;
  logger: Logger;
  clock: Clock | undefined;
  sasl: SaslOptions | undefined;
  tls: TlsOptions | undefined;
}

/** Merges a validated partial retry config over `base`, checking the result is coherent. */
export function mergeRetry(base: Readonly<RetryOptions>, override: Partial<RetryOptions> | undefined, component: string): Readonly<RetryOptions> {
  const merged = { ...base };
  if (override) for (const [k, v] of Object.entries(override)) if (v !== undefined) (merged as Record<string, number>)[k] = v;
  if (merged.initialRetryTimeMs > merged.maxRetryTimeMs) {
    throw new StrataConfigError(
      'retry.initialRetryTimeMs',
      `invalid ${component} option "retry.initialRetryTimeMs": expected at most retry.maxRetryTimeMs (${merged.maxRetryTimeMs}), got ${merged.initialRetryTimeMs}`,
    );
  }
  return Object.freeze(merged);
}

function resolveTls(tls: true | TlsOptions | undefined, brokers: readonly string[]): TlsOptions | undefined {
  if (tls === undefined) return undefined;
  const plain = brokers.find((b) => b.startsWith('ws:'));
  if (plain) throw new StrataConfigError('tls', `invalid client option "tls": TLS applies to wss:// URLs, but "${plain}" is ws://`);
  return tls === true ? {} : (tls as TlsOptions);
}

export function resolveClientOptions(input: StrataOptions): ResolvedClientOptions {
  const o = validateOptions(clientSchema, input, 'client');
  return {
    brokers: [...o.brokers],
    clientId: o.clientId ?? CLIENT_DEFAULTS.clientId,
    transport: o.transport,
    requestTimeoutMs: o.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
    connectionTimeoutMs: o.connectionTimeoutMs ?? CLIENT_DEFAULTS.connectionTimeoutMs,
    maxInFlightRequests: o.maxInFlightRequests === undefined ? CLIENT_DEFAULTS.maxInFlightRequests : o.maxInFlightRequests,
    metadataMaxAgeMs: o.metadataMaxAgeMs ?? CLIENT_DEFAULTS.metadataMaxAgeMs,
    maxFrameBytes: o.maxFrameBytes ?? CLIENT_DEFAULTS.maxFrameBytes,
    retry: mergeRetry(CLIENT_DEFAULTS.retry, o.retry, 'client'),
    logger: o.logger ?? consoleLogger(o.logLevel ?? CLIENT_DEFAULTS.logLevel),
    clock: o.clock,
    sasl: o.sasl as SaslOptions | undefined, // the schema is this type's runtime check
    tls: resolveTls(o.tls, o.brokers),
  };
}
