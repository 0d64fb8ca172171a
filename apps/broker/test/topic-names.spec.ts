/**
 * Finding 6 of the hardening issue: deleting a topic whose name has 240-249 characters failed with
 * ENAMETOOLONG (the delete rename added a suffix to the folder name) and left its folder behind.
 * Every on-disk name derived from a topic name must fit the file system's 255-byte limit, for the
 * longest name and the largest partition number.
 */
import * as fs from 'node:fs';

import { ErrorCode } from '@strata/protocol';
import { Broker } from '../src';
import { logDirName } from '../src/storage/log-manager';
import { MAX_PARTITIONS } from '../src/topics/topic-manager';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

const LONGEST = 'n'.repeat(249);

describe('topic names and on-disk names (hardening finding 6)', () => {
  it('keeps the folder of the longest name and the largest partition within 255 bytes', () => {
    expect(Buffer.byteLength(logDirName(LONGEST, MAX_PARTITIONS - 1))).toBeLessThanOrEqual(255);
  });

  it('creates, fills, restarts, deletes and restarts a topic with the longest name, leaving nothing behind', async () => {
    const { dir, cleanup } = tempDir();
    let broker = await Broker.start({ dataDir: dir, port: 0, config: { 'file.delete.delay.ms': 0 } });
    let client = await WireClient.connect(broker.url);
    try {
      await createTopic(client, LONGEST, 3);
      for (let p = 0; p < 3; p++) expect(await produce(client, LONGEST, p, [{ value: `p${p}` }])).toBe(0);
      await client.close();
      await broker.close();
      broker = await Broker.start({ dataDir: dir, port: 0, config: { 'file.delete.delay.ms': 0 } });
      client = await WireClient.connect(broker.url);
      expect(await produce(client, LONGEST, 2, [{ value: 'again' }])).toBe(1);
      const del = await client.request('DeleteTopics', { names: [LONGEST], timeoutMs: 5000 });
      expect(del.topics[0]).toMatchObject({ errorCode: 0 });
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('nnnn'))).toEqual([]);
      await client.close();
      await broker.close();
      broker = await Broker.start({ dataDir: dir, port: 0 });
      client = await WireClient.connect(broker.url);
      const meta = await client.request('Metadata', { topics: [LONGEST], allTopics: false, allowAutoTopicCreation: false });
      expect(meta.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(fs.readdirSync(dir).filter((n) => n.includes('nnnn') || n.endsWith('.deleted'))).toEqual([]);
      await createTopic(client, LONGEST, 1); // the name is free again
    } finally {
      await client.close();
      await broker.close();
      cleanup();
    }
  });

  it('refuses a 250-character name with INVALID_TOPIC_EXCEPTION', async () => {
    const { dir, cleanup } = tempDir();
    const broker = await Broker.start({ dataDir: dir, port: 0 });
    const client = await WireClient.connect(broker.url);
    try {
      const res = await client.request('CreateTopics', { topics: [{ name: 'n'.repeat(250), numPartitions: 1 }] });
      expect(res.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    } finally {
      await client.close();
      await broker.close();
      cleanup();
    }
  });
});
