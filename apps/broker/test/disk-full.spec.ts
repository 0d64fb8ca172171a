/**
 * Disk full, for real: the broker's data folder is a tmpfs mount limited to 4 MiB (the test runs
 * as root, as CI does). Produce until the disk refuses; then produce gets a clear storage error,
 * fetches keep working, nothing already written is damaged, and once space is freed produce
 * works again with offsets continuing where the acknowledged ones stopped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, ErrorCode, decodeRecords, iterateBatches } from '@strata/protocol';
import { Broker } from '../src';
import { WireClient, batch, createTopic } from './helpers/wire-client';

const dec = new TextDecoder();

describe('disk full', () => {
  let mount: string;

  beforeAll(() => {
    mount = mkdtempSync(join(tmpdir(), 'strata-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
  });

  afterAll(() => {
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it('refuses produce with KAFKA_STORAGE_ERROR, keeps serving fetches, and recovers when space is freed', async () => {
    const ballast = join(mount, 'ballast');
    writeFileSync(ballast, new Uint8Array(512 * 1024)); // space we can give back later
    const broker = await Broker.start({ dataDir: join(mount, 'data'), port: 0, config: { 'log.cleaner.enable': false } });
    const client = await WireClient.connect(broker.url);
    try {
      await createTopic(client, 'fill', 1, { 'segment.bytes': String(1024 * 1024) });
      const acked: string[] = [];
      let refused: { errorCode: number; errorMessage?: string | null } | null = null;
      for (let i = 0; i < 200 && !refused; i++) {
        const value = `record-${i}-${'v'.repeat(30_000)}`;
        const res = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: 'fill', partitions: [{ partition: 0, records: batch([{ key: `k${i}`, value }]) }] }] });
        const p = res.topics[0]!.partitions[0]!;
        if (p.errorCode === 0) {
          expect(p.baseOffset).toBe(acked.length);
          acked.push(value);
        } else refused = p;
      }
      expect(refused).not.toBeNull();
      expect(refused!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(refused!.errorMessage).toMatch(/ENOSPC|no space/i);
      expect(acked.length).toBeGreaterThan(10);

      const readAll = async () => {
        const values: string[] = [];
        let offset = 0;
        for (;;) {
          const res = await client.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, topics: [{ name: 'fill', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }] });
          const p = res.topics[0]!.partitions[0]!;
          expect(p.errorCode).toBe(0);
          const recs = [...iterateBatches(p.records)].flatMap((v) => decodeRecords(v.bytes.subarray(BATCH_HEADER_SIZE), v.header));
          if (recs.length === 0) return { values, highWatermark: p.highWatermark };
          for (const r of recs) values.push(dec.decode(r.value!));
          offset = recs[recs.length - 1]!.offset + 1;
        }
      };
      // Fetches keep working and return exactly what was acknowledged.
      const during = await readAll();
      expect(during.values).toEqual(acked);
      expect(during.highWatermark).toBe(acked.length);

      // Free space: produce works again and continues the offsets.
      rmSync(ballast);
      const again = await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: 'fill', partitions: [{ partition: 0, records: batch([{ key: 'after', value: 'after' }]) }] }] });
      expect(again.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: acked.length });
      const after = await readAll();
      expect(after.values).toEqual([...acked, 'after']);
    } finally {
      await client.close();
      await broker.close().catch(() => undefined);
    }
    // And a restart finds the same log.
    const restarted = await Broker.start({ dataDir: join(mount, 'data'), port: 0 });
    const c = await WireClient.connect(restarted.url);
    const d = await c.request('DescribeTopics', { topics: ['fill'] });
    expect(d.topics[0]!.partitions[0]!.logEndOffset).toBeGreaterThan(10);
    await c.close();
    await restarted.close();
  });
});

/**
 * Finding 5 of the hardening issue, against the built binary: SIGTERM on a full disk used to exit
 * 1 after an ENOSPC on the shutdown checkpoint, and start-up on the still-full disk failed.
 */
describe('the broker binary on a full disk', () => {
  const BIN = join(__dirname, '..', 'dist', 'bin', 'strata-broker.js');
  let mount: string;

  beforeAll(() => {
    mount = mkdtempSync(join(tmpdir(), 'strata-full-bin-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount]);
  });

  afterAll(() => {
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  async function startBinary(dataDir: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string }> {
    const child = spawn(process.execPath, [BIN, '--data.dir', dataDir, '--port', '0', '--log.level', 'info', '--log.cleaner.enable', 'false'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('broker started'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      void exited.then((code) => reject(new Error(`broker exited with ${code} before starting: ${out}`)));
    });
    return { child, url, exited, output: () => out };
  }

  const produceOne = async (client: WireClient, value: string) =>
    (await client.request('Produce', { acks: -1, timeoutMs: 5000, topics: [{ name: 'full', partitions: [{ partition: 0, records: batch([{ value }]) }] }] })).topics[0]!.partitions[0]!;

  it('exits 0 on SIGTERM with the disk full, starts again on the still-full disk serving reads, and takes writes once space returns', async () => {
    const ballast = join(mount, 'ballast');
    writeFileSync(ballast, new Uint8Array(256 * 1024));
    const dataDir = join(mount, 'data');
    let broker = await startBinary(dataDir);
    let client = await WireClient.connect(broker.url);
    try {
      await createTopic(client, 'full', 1, { 'segment.bytes': String(1024 * 1024) });
      let acked = 0;
      let refused: { errorCode: number; errorMessage?: string | null } | null = null;
      for (let i = 0; i < 200 && !refused; i++) {
        const p = await produceOne(client, `r${i}-${'v'.repeat(30_000)}`);
        if (p.errorCode === 0) acked++;
        else refused = p;
      }
      expect(refused?.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(refused?.errorMessage).toMatch(/disk is full/);
      await client.close();
      broker.child.kill('SIGTERM');
      expect(await broker.exited).toBe(0);

      // Still full: it starts, serves what was acknowledged, refuses writes with the cause.
      broker = await startBinary(dataDir);
      client = await WireClient.connect(broker.url);
      let readable = 0;
      for (;;) {
        const fetched = await client.request('Fetch', { maxWaitMs: 0, minBytes: 1, maxBytes: 16 << 20, topics: [{ name: 'full', partitions: [{ partition: 0, fetchOffset: readable, partitionMaxBytes: 16 << 20 }] }] });
        const part = fetched.topics[0]!.partitions[0]!;
        expect(part.errorCode).toBe(0);
        expect(part.highWatermark).toBe(acked);
        const n = [...iterateBatches(part.records)].length;
        if (n === 0) break;
        readable += n;
      }
      expect(readable).toBe(acked);
      const stillFull = await produceOne(client, 'x'.repeat(300_000));
      expect(stillFull.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(stillFull.errorMessage).toMatch(/disk is full/);

      rmSync(ballast);
      const after = await produceOne(client, 'after');
      expect(after).toMatchObject({ errorCode: 0, baseOffset: acked });
      await client.close();
      broker.child.kill('SIGTERM');
      expect(await broker.exited).toBe(0);
    } finally {
      if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
    }
  });
});
