/** The producer's rules for a failed produce attempt (Kafka's), as a pure function. */
import { ERRORS, StrataError } from '@strata/protocol';
import { judge, type FailedAttempt } from '../src/producer/sender-errors';

const attempt = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({
  idempotent: true,
  oldest: true,
  batch: { topic: 't', partition: 0, recordCount: 3, attempts: 1, createdAt: 0 },
  delayMs: 100,
  retries: 2147483647,
  now: 1000,
  deliveryTimeoutMs: 120_000,
  ...over,
});
const error = (name: keyof typeof ERRORS) => new StrataError(ERRORS[name]);

describe('judge (failed produce attempts)', () => {
  it('treats a duplicate beyond the window as written, offsets unknown', () => {
    expect(judge(error('DUPLICATE_SEQUENCE_NUMBER'), attempt())).toEqual({ kind: 'written' });
  });

  it('resends in order after an earlier failure, and asks for a new epoch for the oldest batch', () => {
    for (const name of ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID'] as const) {
      expect(judge(error(name), attempt({ oldest: false }))).toEqual({ kind: 'resend' });
      expect(judge(error(name), attempt({ oldest: true }))).toEqual({ kind: 'new-epoch' });
    }
  });

  it('is fatal on a fenced epoch', () => {
    expect(judge(error('INVALID_PRODUCER_EPOCH'), attempt())).toMatchObject({ kind: 'fatal', error: { code: 'INVALID_PRODUCER_EPOCH' } });
  });

  it('retries retriable errors until the delivery deadline or the retry count, then fails with DELIVERY_TIMEOUT', () => {
    expect(judge(error('NOT_LEADER_OR_FOLLOWER'), attempt())).toEqual({ kind: 'retry', delayMs: 100 });
    const late = judge(error('NETWORK_EXCEPTION'), attempt({ now: 119_950 }));
    expect(late).toMatchObject({ kind: 'fail', error: { code: 'DELIVERY_TIMEOUT', name: 'StrataDeliveryTimeoutError' } });
    expect(late.kind === 'fail' && late.error.message).toMatch(/within deliveryTimeoutMs \(120000 ms\)/);
    const counted = judge(error('NETWORK_EXCEPTION'), attempt({ retries: 0 }));
    expect(counted).toMatchObject({ kind: 'fail', error: { code: 'DELIVERY_TIMEOUT' } });
    // Out of retries long before the deadline: the message names the bound that ended it.
    expect(counted.kind === 'fail' && counted.error.message).toMatch(/before retry\.retries \(0\) ran out/);
  });

  it('fails at once on non-retriable errors, naming the partition; sequence errors are plain errors without idempotence', () => {
    expect(judge(error('INVALID_RECORD'), attempt())).toMatchObject({ kind: 'fail', error: { code: 'INVALID_RECORD', message: expect.stringMatching(/^t-0: /) } });
    expect(judge(error('OUT_OF_ORDER_SEQUENCE_NUMBER'), attempt({ idempotent: false }))).toMatchObject({ kind: 'fail' });
  });
});
