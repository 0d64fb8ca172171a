import { CLIENT_DEFAULTS, CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, RETRY_DEFAULTS, Strata, StrataConfigError, StrataError, silentLogger, type StrataOptions } from '../src';
import { resolveClientOptions } from '../src/config/client-options';
import { resolveConsumerOptions } from '../src/consumer/consumer-options';
import { resolveProducerOptions } from '../src/producer/producer-options';

const base: StrataOptions = { brokers: ['ws://127.0.0.1:9092'], logger: silentLogger };

function configError(fn: () => unknown): StrataConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StrataConfigError);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataConfigError).code).toBe('INVALID_CONFIG');
    expect((error as StrataConfigError).retriable).toBe(false);
    return error as StrataConfigError;
  }
  throw new Error('expected a StrataConfigError');
}

describe('client options', () => {
  it('fills every default from one DEFAULTS object', () => {
    const o = resolveClientOptions(base);
    expect(o).toMatchObject({
      clientId: CLIENT_DEFAULTS.clientId,
      requestTimeoutMs: 30_000,
      connectionTimeoutMs: CLIENT_DEFAULTS.connectionTimeoutMs,
      maxInFlightRequests: null,
      metadataMaxAgeMs: CLIENT_DEFAULTS.metadataMaxAgeMs,
      retry: RETRY_DEFAULTS,
    });
  });

  it('merges a partial retry config over the defaults', () => {
    expect(resolveClientOptions({ ...base, retry: { retries: 2 } }).retry).toEqual({ ...RETRY_DEFAULTS, retries: 2 });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an empty broker list', { brokers: [] }, 'brokers', /at least one broker/],
    ['a broker that is not a ws URL', { brokers: ['http://x:1'] }, 'brokers.0', /ws:\/\/ or wss:\/\/ URL/],
    ['a broker host:port without scheme', { brokers: ['localhost:9092'] }, 'brokers.0', /ws:\/\//],
    ['a negative request timeout', { requestTimeoutMs: -5 }, 'requestTimeoutMs', /integer from 1 to 2147483647, got -5/],
    ['a fractional timeout', { connectionTimeoutMs: 1.5 }, 'connectionTimeoutMs', /integer/],
    ['negative retries', { retry: { retries: -1 } }, 'retry.retries', /integer from 0/],
    ['a jitter factor above 1', { retry: { factor: 2 } }, 'retry.factor', /number from 0 to 1, got 2/],
    ['an unknown option', { requestTimeout: 5 }, 'requestTimeout', /unknown client option "requestTimeout"; known options: brokers, clientId/],
    ['an unknown nested option', { retry: { maxRetries: 3 } }, 'retry.maxRetries', /known options of "retry": retries/],
    ['a logger without methods', { logger: {} }, 'logger', /a Logger/],
    ['a transport without connect', { transport: {} }, 'transport', /a Transport/],
    ['an unknown log level', { logLevel: 'loud' }, 'logLevel', /one of "debug", "info", "warn", "error", "nothing"/],
    ['a zero maxInFlightRequests', { maxInFlightRequests: 0 }, 'maxInFlightRequests', /integer from 1/],
  ])('rejects %s naming the option', (_what, patch, option, message) => {
    const error = configError(() => new Strata({ ...base, ...patch } as StrataOptions));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('rejects initialRetryTimeMs above maxRetryTimeMs', () => {
    const error = configError(() => resolveClientOptions({ ...base, retry: { initialRetryTimeMs: 5000, maxRetryTimeMs: 100 } }));
    expect(error.option).toBe('retry.initialRetryTimeMs');
  });

  it('rejects options that are not an object', () => {
    configError(() => new Strata(5 as unknown as StrataOptions));
  });
});

describe('component options', () => {
  it('validates producer options at strata.producer()', () => {
    const strata = new Strata(base);
    expect(configError(() => strata.producer({ acks: 2 as never })).option).toBe('acks');
    expect(configError(() => strata.producer({ partitioner: 'murmur' as never })).message).toMatch(/"default", "round-robin" or a function/);
    expect(configError(() => strata.producer({ lingerMs: -5 })).message).toMatch(/invalid producer option "lingerMs": expected an integer from 0/);
    expect(configError(() => strata.producer({ linger: 5 } as never)).message).toMatch(/unknown producer option "linger"/);
    expect(configError(() => strata.producer({ compression: 'brotli' as never })).option).toBe('compression');
    expect(configError(() => strata.producer({ maxInFlightRequests: 6 })).option).toBe('maxInFlightRequests');
    expect(strata.producer({ maxInFlightRequests: 6, idempotent: false })).toBeDefined();
    expect(configError(() => strata.producer({ acks: 0, idempotent: true })).option).toBe('idempotent');
    expect(resolveProducerOptions({ acks: 0 }, RETRY_DEFAULTS).idempotent).toBe(false);
    expect(configError(() => strata.producer({ batchSize: 1 << 20, bufferMemory: 1 << 16 })).option).toBe('batchSize');
    // The default batchSize shrinks to a smaller buffer rather than refusing it.
    expect(resolveProducerOptions({ bufferMemory: 1 << 16 }, RETRY_DEFAULTS).batchSize).toBe(1 << 16);
    expect(configError(() => strata.producer({ deliveryTimeoutMs: 1000 })).option).toBe('deliveryTimeoutMs');
    expect(configError(() => strata.producer({ bufferMemory: 0 })).option).toBe('bufferMemory');
    expect(resolveProducerOptions({ acks: 'all' }, RETRY_DEFAULTS).acks).toBe(-1);
    expect(resolveProducerOptions(undefined, RETRY_DEFAULTS)).toMatchObject({
      acks: -1,
      timeoutMs: PRODUCER_DEFAULTS.timeoutMs,
      partitioner: 'default',
      idempotent: true,
      maxInFlightRequests: 5,
      lingerMs: 0,
      batchSize: 1048576,
      bufferMemory: 32 * 1024 * 1024,
      maxBlockMs: 60000,
      deliveryTimeoutMs: 120000,
      compression: 'none',
      maxRequestBytes: 1048576,
    });
    // deliveryTimeoutMs bounds producer retries, not a count (unless one is given).
    expect(resolveProducerOptions(undefined, RETRY_DEFAULTS).retry.retries).toBe(2147483647);
    expect(resolveProducerOptions({ retry: { retries: 3 } }, RETRY_DEFAULTS).retry.retries).toBe(3);
  });

  it('validates consumer options at strata.consumer()', () => {
    const strata = new Strata(base);
    expect(configError(() => strata.consumer({ autoOffsetReset: 'smallest' as never })).option).toBe('autoOffsetReset');
    expect(configError(() => strata.consumer({ maxWaitMs: -1 })).option).toBe('maxWaitMs');
    expect(resolveConsumerOptions({}, RETRY_DEFAULTS)).toMatchObject({
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 50 * 1024 * 1024,
      maxBytesPerPartition: 4 * 1024 * 1024,
      autoOffsetReset: 'latest',
      maxBufferedBytes: CONSUMER_DEFAULTS.maxBufferedBytes,
    });
  });

  it('lets a component override the client retry settings', () => {
    expect(resolveConsumerOptions({ retry: { retries: 1 } }, { ...RETRY_DEFAULTS, retries: 9, initialRetryTimeMs: 7 }).retry).toMatchObject({ retries: 1, initialRetryTimeMs: 7 });
    expect(configError(() => new Strata(base).admin({ retry: { multiplier: 0 } })).option).toBe('retry.multiplier');
  });
});
