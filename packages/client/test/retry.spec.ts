import { RETRY_DEFAULTS, StrataConnectionError, StrataError, backoffMs, ERRORS } from '../src';
import { Retrier } from '../src/retry';
import { ManualClock } from './helpers/manual-clock';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('backoff', () => {
  const opts = { ...RETRY_DEFAULTS, initialRetryTimeMs: 100, maxRetryTimeMs: 1000, multiplier: 2, factor: 0 };

  it('grows exponentially up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffMs(n, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads delays by at most the jitter factor, never above the maximum', () => {
    const jittered = { ...opts, factor: 0.2 };
    expect(backoffMs(1, jittered, () => 0)).toBe(160);
    expect(backoffMs(1, jittered, () => 1)).toBe(240);
    expect(backoffMs(10, jittered, () => 1)).toBe(1000);
  });
});

describe('Retrier', () => {
  const options = { ...RETRY_DEFAULTS, retries: 3, initialRetryTimeMs: 100, maxRetryTimeMs: 1000, factor: 0 };

  it('retries retriable errors with backoff and returns the first success', async () => {
    const clock = new ManualClock();
    const retrier = new Retrier(options, clock);
    let calls = 0;
    const result = retrier.run(async () => {
      calls++;
      if (calls < 3) throw new StrataConnectionError('down');
      return 'ok';
    });
    await flush();
    expect(calls).toBe(1);
    clock.advance(100);
    await flush();
    expect(calls).toBe(2);
    clock.advance(199);
    await flush();
    expect(calls).toBe(2);
    clock.advance(1);
    await expect(result).resolves.toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry non-retriable or unknown errors', async () => {
    const retrier = new Retrier(options, new ManualClock());
    let calls = 0;
    await expect(
      retrier.run(async () => {
        calls++;
        throw new StrataError(ERRORS.TOPIC_ALREADY_EXISTS);
      }),
    ).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    await expect(
      retrier.run(async () => {
        calls++;
        throw new TypeError('a bug');
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(2);
  });

  it('gives up after `retries` retries with the last error', async () => {
    const clock = new ManualClock();
    const retrier = new Retrier({ ...options, retries: 2 }, clock);
    let calls = 0;
    const result = retrier.run(async () => {
      calls++;
      throw new StrataConnectionError(`attempt ${calls}`);
    });
    const outcome = result.then(
      () => null,
      (error: unknown) => error,
    );
    for (let i = 0; i < 5; i++) {
      await flush();
      clock.advance(1000);
    }
    expect(await outcome).toMatchObject({ message: 'attempt 3' });
    expect(calls).toBe(3);
  });
});
