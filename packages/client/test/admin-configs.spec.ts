import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';
import { Strata, StrataError, silentLogger, type Admin } from '../src';

describe('admin: topic settings at run time', () => {
  let dir: string;
  let broker: RunningBroker;
  let admin: Admin;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-client-configs-'));
    broker = await startBroker({ dataDir: dir, port: 0 });
    admin = new Strata({ brokers: [broker.url], clientId: 'configs', logger: silentLogger }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tuned', numPartitions: 2 }] });
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const valueOf = async (name: string) => (await admin.describeTopicConfigs({ topics: ['tuned'] }))[0]!.configs.find((c) => c.name === name)!;

  it('sets, describes and removes settings', async () => {
    expect(await valueOf('retention.ms')).toMatchObject({ isDefault: true });
    await admin.alterTopicConfigs({ topics: [{ topic: 'tuned', set: { 'retention.ms': '60000', 'cleanup.policy': 'compact,delete' } }] });
    expect(await valueOf('retention.ms')).toEqual({ name: 'retention.ms', value: '60000', isDefault: false });
    expect(await valueOf('cleanup.policy')).toMatchObject({ value: 'compact,delete', isDefault: false });
    await admin.alterTopicConfigs({ topics: [{ topic: 'tuned', remove: ['retention.ms'] }] });
    expect(await valueOf('retention.ms')).toMatchObject({ isDefault: true });
    expect(await valueOf('cleanup.policy')).toMatchObject({ value: 'compact,delete' });
  });

  it('validates like creation, naming the setting, and changes nothing on failure', async () => {
    await expect(admin.alterTopicConfigs({ topics: [{ topic: 'tuned', set: { 'segment.bytes': 'tiny', 'retention.ms': '5' } }] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('segment.bytes'),
    });
    expect(await valueOf('retention.ms')).toMatchObject({ isDefault: true });
    await expect(admin.alterTopicConfigs({ topics: [{ topic: 'nope', set: { 'retention.ms': '5' } }] })).rejects.toBeInstanceOf(StrataError);
    await expect(admin.alterTopicConfigs({ topics: [{ topic: 'tuned' }] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('can only check changes', async () => {
    await admin.alterTopicConfigs({ topics: [{ topic: 'tuned', set: { 'retention.bytes': '1000000' } }], validateOnly: true });
    expect(await valueOf('retention.bytes')).toMatchObject({ isDefault: true });
  });
});
