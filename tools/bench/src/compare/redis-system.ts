/**
 * Redis Streams: Debian's redis-server with AOF on (`appendfsync everysec`: acknowledged once in
 * the OS, fsynced every second), no RDB snapshots, on a loopback port with its own folder; ioredis
 * as the client (RESP2). One stream per partition. Produce: XADD pipelined (pipelines of 1,000
 * commands, 16 in flight), round-robin over the streams. Read back: XREAD COUNT 10000 over all
 * streams until every record is read. End-to-end: XADD per record on one connection, XREAD BLOCK
 * on another.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../broker-process';
import { sampleValues } from '../producer-matrix';
import { PeerProcess } from './peer-process';
import { driveUsage, type UsagePattern } from './sdk-usage';
import { latencyOf, now, ownCpuSeconds, paced, stampOf, stampedValue, type Latency, type LatencyWorkload, type SystemUnderTest, type Throughput, type ThroughputWorkload, type UsageWorkload } from './types';

const PIPELINE = 1000;
const PIPELINES_IN_FLIGHT = 16;
const READ_COUNT = 10_000;

type XreadReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;

export class RedisSystem implements SystemUnderTest {
  readonly name = 'Redis Streams';
  readonly usageName = 'Redis Streams, ioredis defaults';
  private server: PeerProcess | null = null;
  private dir = '';
  private port = 0;

  async versions(): Promise<string> {
    const server = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().split(' ').find((w) => w.startsWith('v='))?.slice(2) ?? '?';
    return `redis-server ${server}, ioredis ${clientVersion('ioredis')}`;
  }

  settings(): string[] {
    return [
      'server: `redis-server <dir>/redis.conf` with `bind 127.0.0.1`, `port <free port>`, `appendonly yes`, `appendfsync everysec`, `save ""` (no RDB), `dir <fresh temporary folder>`',
      `produce: ioredis (protocol 2, noDelay), \`XADD <stream> * v <value>\` pipelined ${PIPELINE} per pipeline, ${PIPELINES_IN_FLIGHT} pipelines in flight, round-robin over one stream per partition`,
      `read back: \`XREAD COUNT ${READ_COUNT} STREAMS <every stream> <last ids>\` (Buffer replies) until every record is read`,
      'default options: `new Redis({ host, port })` (ioredis defaults); a send of 1,000 records is a pipeline of 1,000 `XADD <stream> * v <value>` awaited with `exec()`, a single-record send is `await redis.xadd(...)`',
      'end-to-end: `XADD` per record on one connection; `XREAD BLOCK 0 COUNT 100 STREAMS <stream> <last id>` on another',
    ];
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'strata-compare-redis-'));
    this.port = await freePort();
    const conf = join(this.dir, 'redis.conf');
    writeFileSync(
      conf,
      [
        'bind 127.0.0.1',
        `port ${this.port}`,
        'protected-mode no',
        'daemonize no',
        `dir ${this.dir}`,
        'appendonly yes',
        'appendfsync everysec',
        'save ""',
        'logfile ""',
      ].join('\n') + '\n',
    );
    this.server = new PeerProcess({ name: 'redis-server', command: 'redis-server', args: [conf], logFile: join(this.dir, 'server.log') });
    this.server.start();
    await this.server.waitForPort(this.port);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private client(): Redis {
    return new Redis({ host: '127.0.0.1', port: this.port, protocol: 2, noDelay: true, lazyConnect: false, maxRetriesPerRequest: null });
  }

  private streams(w: ThroughputWorkload): string[] {
    return Array.from({ length: w.partitions }, (_, p) => `${w.id}-${p}`);
  }

  async produce(w: ThroughputWorkload): Promise<Throughput> {
    const redis = this.client();
    const streams = this.streams(w);
    const values = sampleValues(w.recordSize).map((v) => Buffer.from(v));
    try {
      await redis.ping();
      const c0 = ownCpuSeconds();
      const s0 = this.server!.cpuSeconds();
      const t0 = now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < w.records) {
          const first = next;
          const n = Math.min(PIPELINE, w.records - first);
          next += n;
          const pipeline = redis.pipeline();
          for (let i = first; i < first + n; i++) pipeline.xadd(streams[i % streams.length]!, '*', 'v', values[i & 1023]!);
          const results = await pipeline.exec();
          for (const r of results ?? []) if (r[0]) throw r[0];
        }
      };
      await Promise.all(Array.from({ length: PIPELINES_IN_FLIGHT }, worker));
      return { records: w.records, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0, serverCpuSeconds: this.server!.cpuSeconds() - s0 };
    } finally {
      redis.disconnect();
    }
  }

  async usage(pattern: UsagePattern, w: UsageWorkload): Promise<Throughput> {
    const redis = new Redis({ host: '127.0.0.1', port: this.port });
    const stream = w.id;
    try {
      await redis.ping();
      const s0 = this.server!.cpuSeconds();
      const r = await driveUsage(pattern, w.records, sampleValues(w.recordSize).map((v) => Buffer.from(v)), async (values) => {
        if (values.length === 1) return redis.xadd(stream, '*', 'v', values[0]!);
        const pipeline = redis.pipeline();
        for (const v of values) pipeline.xadd(stream, '*', 'v', v);
        const results = await pipeline.exec();
        for (const x of results ?? []) if (x[0]) throw x[0];
        return results;
      });
      return { records: r.records, seconds: r.seconds, clientCpuSeconds: r.clientCpuSeconds, serverCpuSeconds: this.server!.cpuSeconds() - s0 };
    } finally {
      redis.disconnect();
    }
  }

  async readBack(w: ThroughputWorkload): Promise<Throughput> {
    const redis = this.client();
    const streams = this.streams(w);
    try {
      await redis.ping();
      const ids: Array<string | Buffer> = streams.map(() => '0-0');
      const c0 = ownCpuSeconds();
      const s0 = this.server!.cpuSeconds();
      const t0 = now();
      let read = 0;
      let bytes = 0;
      while (read < w.records) {
        const reply = (await redis.callBuffer('XREAD', 'COUNT', READ_COUNT, 'STREAMS', ...streams, ...ids)) as XreadReply; // RESP2 XREAD shape
        if (!reply) throw new Error(`XREAD returned nothing after ${read} of ${w.records} records`);
        for (const [key, entries] of reply) {
          const at = streams.indexOf(key.toString());
          for (const [, fields] of entries) bytes += fields[1]?.length ?? 0;
          read += entries.length;
          const last = entries[entries.length - 1];
          if (last) ids[at] = last[0];
        }
      }
      if (bytes < w.records * w.recordSize) throw new Error('read back fewer bytes than written');
      return { records: read, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0, serverCpuSeconds: this.server!.cpuSeconds() - s0 };
    } finally {
      redis.disconnect();
    }
  }

  async endToEnd(w: LatencyWorkload): Promise<Latency> {
    const producer = this.client();
    const consumer = this.client();
    const stream = w.id;
    const template = sampleValues(Math.max(9, w.recordSize))[0]!;
    const samples: number[] = [];
    try {
      const startId = await producer.xadd(stream, '*', 'v', 'start');
      let running = true;
      const reading = (async () => {
        let last: string | Buffer = startId ?? '0-0';
        while (running) {
          const reply = (await consumer.callBuffer('XREAD', 'BLOCK', 200, 'COUNT', 100, 'STREAMS', stream, last)) as XreadReply; // RESP2 XREAD shape
          const t = now();
          for (const [, entries] of reply ?? []) {
            for (const [id, fields] of entries) {
              last = id;
              const sent = fields[1] ? stampOf(fields[1]) : null;
              if (sent !== null) samples.push(t - sent);
            }
          }
        }
      })();
      const sent = await paced(w, (_k, measured) => void producer.xaddBuffer(stream, '*', 'v', stampedValue(template, measured)));
      const deadline = now() + 5000;
      while (samples.length < sent && now() < deadline) await new Promise((r) => setTimeout(r, 10));
      running = false;
      await reading;
      return latencyOf(samples, Math.max(0, sent - samples.length));
    } finally {
      producer.disconnect();
      consumer.disconnect();
    }
  }
}

/** Version of an npm package as installed. */
export function clientVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '?';
  }
}
