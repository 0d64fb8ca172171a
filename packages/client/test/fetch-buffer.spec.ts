import { FetchBuffer, type FetchedData } from '../src/consumer/fetch-buffer';
import { PartitionState, SubscriptionState } from '../src/consumer/subscription-state';
import { StrataArgumentError } from '../src';

function data(bytes: number): FetchedData {
  return { state: new PartitionState('t', 0, 'latest'), epoch: 0, fetchOffset: 0, nextOffset: 1, highWatermark: 1, records: new Uint8Array(bytes) };
}

describe('FetchBuffer', () => {
  it('is bounded: reports no space at its limit and signals when drained below it', () => {
    let spaces = 0;
    const buffer = new FetchBuffer(100, () => spaces++);
    buffer.push(data(60));
    expect(buffer.hasSpace()).toBe(true);
    buffer.push(data(60));
    expect(buffer.hasSpace()).toBe(false);
    expect(buffer.poll()!.records.length).toBe(60);
    expect(buffer.hasSpace()).toBe(true);
    expect(spaces).toBe(1);
    buffer.poll();
    expect(spaces).toBe(1);
    expect(buffer.poll()).toBeUndefined();
  });

  it('wakes a waiting take() on push, resolves undefined on close, rejects after fail', async () => {
    const buffer = new FetchBuffer(100, () => undefined);
    const waiting = buffer.take();
    buffer.push(data(1));
    expect(await waiting).toBeDefined();
    const closed = buffer.take();
    buffer.close();
    expect(await closed).toBeUndefined();
    buffer.reopen();
    const failed = buffer.take();
    buffer.fail(new Error('boom'));
    await expect(failed).rejects.toThrow('boom');
  });
});

describe('SubscriptionState', () => {
  it('replaces the assignment, keeping positions of partitions that stay without a new offset', () => {
    const subs = new SubscriptionState('latest');
    subs.assign([{ topic: 'a', partition: 0, offset: 5 }, { topic: 'a', partition: 1, fromBeginning: true }]);
    const a0 = subs.get('a', 0)!;
    expect(a0.position).toBe(5);
    expect(subs.get('a', 1)).toMatchObject({ position: null, resetStrategy: 'earliest' });
    a0.position = 9;
    subs.assign([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]);
    expect(subs.get('a', 0)).toBe(a0);
    expect(subs.get('a', 0)!.position).toBe(9);
    expect(subs.get('a', 1)).toBeUndefined();
    expect(subs.get('b', 0)).toMatchObject({ resetStrategy: 'latest' });
  });

  it('bumps the epoch on seek and rewind so data fetched before is recognised as stale', () => {
    const s = new PartitionState('t', 0, 'latest');
    s.seek(3);
    const epoch = s.epoch;
    s.fetchPosition = 10;
    s.rewind();
    expect(s.fetchPosition).toBe(3);
    expect(s.epoch).toBe(epoch + 1);
  });

  it('rejects invalid assignments', () => {
    const subs = new SubscriptionState('latest');
    expect(() => subs.assign([{ topic: 't', partition: -1 }])).toThrow(StrataArgumentError);
    expect(() => subs.assign([{ topic: 't', partition: 0, offset: -3 }])).toThrow(/offset must be an integer >= 0/);
    expect(() => subs.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 0 }])).toThrow(/listed twice/);
    expect(() => subs.assigned('t', 0, 'seek')).toThrow(/not assigned/);
  });
});
