/**
 * Committed offsets survive `kill -9` of the built broker binary: every commit acknowledged
 * before the kill is there after the restart (nx builds the binary before the tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp';
import { commitRequest, committed, untilLoaded } from './helpers/groups';
import { SimMember, converge } from './helpers/group-member';
import { WireClient, createTopic } from './helpers/wire-client';

const BIN = join(__dirname, '..', 'dist', 'bin', 'strata-broker.js');

async function startBinary(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, '--data.dir', dir, '--port', '0', '--log.level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.includes('broker started'));
      if (line) {
        child.stdout?.off('data', onData);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before starting: ${buf}`)));
  });
  return { child, url };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('committed offsets and kill -9', () => {
  it('are all there after the broker binary is killed and restarted', async () => {
    const { dir, cleanup } = tempDir();
    const children: ChildProcess[] = [];
    const clients: WireClient[] = [];
    try {
      const first = await startBinary(dir);
      children.push(first.child);
      const client = await WireClient.connect(first.url);
      clients.push(client);
      await createTopic(client, 'events', 3);
      const member = new SimMember((req) => untilLoaded(() => client.request('ConsumerGroupHeartbeat', req)), { groupId: 'g', topics: ['events'] });
      await converge([member]);
      const expected: Record<string, number> = {};
      for (let round = 1; round <= 20; round++) {
        const offsets = { 0: round * 3, 1: round * 5, 2: round * 7 };
        const res = await client.request('OffsetCommit', commitRequest('g', member, { events: offsets }));
        expect(res.errorCode).toBe(0);
        expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0, 0]);
        Object.assign(expected, { 'events:0': offsets[0], 'events:1': offsets[1], 'events:2': offsets[2] });
      }
      const admin = await client.request('OffsetCommit', commitRequest('other', null, { events: { 2: 42 } }));
      expect(admin.errorCode).toBe(0);
      await kill9(first.child);

      const second = await startBinary(dir);
      children.push(second.child);
      const after = await WireClient.connect(second.url);
      clients.push(after);
      expect(await committed(after, 'g')).toEqual(expected);
      expect(await committed(after, 'other')).toEqual({ 'events:2': 42 });
    } finally {
      for (const c of clients) await c.close().catch(() => undefined);
      for (const child of children) await kill9(child);
      cleanup();
    }
  }, 30_000);
});
