/**
 * Finding 7 of the hardening issue: creating 10,000 topics took 124 s and grew worse than
 * linearly (metadata.json was rewritten whole on every change, and every new partition fsynced
 * its empty index files). Costs are asserted as work done, not time: a change appends one journal
 * line and never rewrites the snapshot; a CreateTopics of 100 topics costs a handful of fsyncs.
 * (Timings: `npm run metadata-scale -w @strata/bench`.)
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { Broker } from '../src';
import { tempDir } from './helpers/tmp';
import { WireClient } from './helpers/wire-client';

async function createMany(client: WireClient, names: string[]): Promise<void> {
  const res = await client.request('CreateTopics', { topics: names.map((name) => ({ name, numPartitions: 1 })) });
  expect(res.topics.filter((t) => t.errorCode !== 0)).toEqual([]);
}

describe('metadata at scale (hardening finding 7)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('appends one journal line per change and never rewrites the snapshot for it', async () => {
    const broker = await Broker.start({ dataDir: dir, port: 0 });
    const client = await WireClient.connect(broker.url);
    try {
      const snapshot = fs.statSync(join(dir, 'metadata.json'));
      for (let i = 0; i < 300; i++) await createMany(client, [`one-${i}`]);
      const lines = fs.readFileSync(join(dir, 'metadata.journal'), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(301); // and __consumer_offsets, created at first start
      const after = fs.statSync(join(dir, 'metadata.json'));
      expect(after.size).toBe(snapshot.size);
      expect(after.mtimeMs).toBe(snapshot.mtimeMs);
      // Each line is one topic's record, whatever the number of topics before it.
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(400);
      await client.request('DeleteTopics', { names: ['one-0'], timeoutMs: 1000 });
      expect(fs.readFileSync(join(dir, 'metadata.journal'), 'utf8').trim().split('\n')).toHaveLength(302);
    } finally {
      await client.close();
      await broker.close();
    }
  });

  it('creates 100 topics in one request with a handful of fsyncs, not one per topic or partition', async () => {
    const broker = await Broker.start({ dataDir: dir, port: 0 });
    const client = await WireClient.connect(broker.url);
    try {
      const fdatasync = jest.spyOn(fs, 'fdatasync');
      const fsync = jest.spyOn(fs, 'fsync');
      await createMany(client, Array.from({ length: 100 }, (_, i) => `batch-${i}`));
      const syncs = fdatasync.mock.calls.length + fsync.mock.calls.length;
      expect(syncs).toBeGreaterThan(0); // the journal append is durable
      expect(syncs).toBeLessThanOrEqual(5);
      fdatasync.mockRestore();
      fsync.mockRestore();
    } finally {
      await client.close();
      await broker.close();
    }
  });

  it('replays the journal at start-up, drops a torn last line, folds the journal into the snapshot when it grows', async () => {
    let broker = await Broker.start({ dataDir: dir, port: 0 });
    let client = await WireClient.connect(broker.url);
    await createMany(client, Array.from({ length: 50 }, (_, i) => `r-${i}`));
    await client.close();
    await broker.close();
    fs.appendFileSync(join(dir, 'metadata.journal'), '{"put":{"name":"torn","id":"x"'); // a crash mid-append
    broker = await Broker.start({ dataDir: dir, port: 0 });
    client = await WireClient.connect(broker.url);
    try {
      const meta = await client.request('Metadata', { topics: [], allTopics: true, allowAutoTopicCreation: false });
      const names = meta.topics.map((t) => t.name).filter((n) => n.startsWith('r-') || n === 'torn');
      expect(names.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `r-${i}`).sort());
      // Once the journal holds more than max(1,000, twice the topics) lines, it is folded into
      // metadata.json and emptied: churn (create, delete) cannot grow it without bound.
      for (let i = 0; i < 6; i++) {
        const names = Array.from({ length: 100 }, (_, k) => `c-${i}-${k}`);
        await createMany(client, names);
        await client.request('DeleteTopics', { names, timeoutMs: 5000 });
      }
      const journalLines = fs.readFileSync(join(dir, 'metadata.journal'), 'utf8').split('\n').length - 1;
      expect(journalLines).toBeLessThan(1000);
      const snapshot = JSON.parse(fs.readFileSync(join(dir, 'metadata.json'), 'utf8')) as { topics: Record<string, unknown> };
      expect(Object.keys(snapshot.topics).filter((n) => n.startsWith('r-'))).toHaveLength(50);
      expect(Object.keys(snapshot.topics).filter((n) => n.startsWith('c-'))).toHaveLength(0);
    } finally {
      await client.close();
      await broker.close();
    }
    // A damaged line in the middle stops start-up with a message naming it.
    const journal = join(dir, 'metadata.journal');
    fs.writeFileSync(journal, '{"put":\n{"delete":"r-1"}\n');
    await expect(Broker.start({ dataDir: dir, port: 0 })).rejects.toThrow(/metadata.journal line 1 is damaged/);
  });
});
