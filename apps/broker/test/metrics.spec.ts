/**
 * /metrics reports what docs/operations.md promises: records in and out per topic, consumer lag
 * per group and partition (computed when scraped), and, with process metrics on, the standard
 * process_* and nodejs_* names Node dashboards expect.
 */
import { countRecords } from '../src/metrics';
import { GroupTestEnv, commitRequest, fetchValues } from './helpers/groups';
import { batch, createTopic, produce } from './helpers/wire-client';

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url.replace('ws://', 'http://')}/metrics`)).text();
}

describe('metrics', () => {
  let env: GroupTestEnv;
  afterEach(async () => {
    await env.cleanup();
  });

  it('counts records in and out per topic, and reports consumer lag per partition and per group', async () => {
    env = await GroupTestEnv.start({ processMetrics: true });
    await createTopic(env.admin, 'metered', 2);
    await produce(env.admin, 'metered', 0, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    await produce(env.admin, 'metered', 0, [{ value: 'd' }]);
    await produce(env.admin, 'metered', 1, [{ value: 'e' }, { value: 'f' }]);
    expect(await fetchValues(env.admin, 'metered', 0)).toEqual(['a', 'b', 'c', 'd']);
    expect(await fetchValues(env.admin, 'metered', 0, 3)).toEqual(['d']);
    const commit = await env.admin.request('OffsetCommit', commitRequest('billing', null, { metered: { 0: 1, 1: 2 } }));
    expect(commit.errorCode).toBe(0);

    const text = await scrape(env.broker.url);
    expect(text).toContain('strata_records_in_total{topic="metered"} 6');
    expect(text).toContain('strata_records_out_total{topic="metered"} 5');
    expect(text).toContain('strata_consumer_lag{group="billing",topic="metered",partition="0"} 3');
    expect(text).toContain('strata_consumer_lag{group="billing",topic="metered",partition="1"} 0');
    expect(text).toContain('strata_consumer_group_lag{group="billing"} 3');
    // Standard process metric names, not strata_process_process_*.
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).not.toContain('strata_process_');

    await produce(env.admin, 'metered', 1, [{ value: 'g' }]);
    expect(await scrape(env.broker.url)).toContain('strata_consumer_lag{group="billing",topic="metered",partition="1"} 1');
  });

  it('countRecords sums the record counts of whole batches without decoding them', () => {
    const a = batch([{ value: 'x' }, { value: 'y' }]);
    const b = batch([{ value: 'z' }]);
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    expect(countRecords(both)).toBe(3);
    expect(countRecords(new Uint8Array(0))).toBe(0);
  });
});
