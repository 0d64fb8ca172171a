/**
 * NATS JetStream: Debian's nats-server with JetStream on (`-js`, file storage in its own folder,
 * server defaults otherwise: no fsync per message) on a loopback port; the `nats` client. One
 * stream (one subject) per partition. Produce: `js.publish` with up to 2,000 publishes awaiting
 * their acknowledgement at once, round-robin over the streams. Read back: an ordered consumer per
 * stream (`consume({ max_bytes: 4 MiB })`). End-to-end: `js.publish` per record; an ordered
 * consumer delivering new messages.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { freePort } from '../broker-process';
import { sampleValues } from '../producer-matrix';
import { PeerProcess } from './peer-process';
import { clientVersion } from './redis-system';
import { latencyOf, now, ownCpuSeconds, paced, stampOf, stampedValue, type Latency, type LatencyWorkload, type SystemUnderTest, type Throughput, type ThroughputWorkload } from './types';

const PUBLISH_WINDOW = 2000;
/**
 * Pulls bounded in bytes, not messages: six streams' pulls of 10,000 1,000-byte messages (60 MB)
 * pass nats-server's 64 MB pending limit per connection ("Slow Consumer Detected: MaxPending of
 * 67108864 Exceeded" in its log), it cuts the client off, and the ordered consumers crawl through
 * resets (about 12,000 msgs/s).
 */
const CONSUME_BYTES = 4 * 1024 * 1024;

export class NatsSystem implements SystemUnderTest {
  readonly name = 'NATS JetStream';
  private server: PeerProcess | null = null;
  private dir = '';
  private port = 0;

  async versions(): Promise<string> {
    const server = execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim().replace(/^nats-server: v?/, '');
    return `nats-server ${server}, nats.js ${clientVersion('nats')}`;
  }

  settings(): string[] {
    return [
      'server: `nats-server -js -sd <fresh temporary folder> -a 127.0.0.1 -p <free port>` (JetStream file storage, server defaults: acknowledged once written, not fsynced per message)',
      `produce: one stream per partition (file storage, limits retention, 1 replica); \`js.publish(subject, value)\` with up to ${PUBLISH_WINDOW} publishes awaiting acknowledgement, round-robin over the streams`,
      `read back: an ordered consumer per stream, \`consume({ max_bytes: ${CONSUME_BYTES} })\`, until every record is read`,
      'end-to-end: `js.publish` per record; an ordered consumer with `deliver_policy: new` on the same connection',
    ];
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'strata-compare-nats-'));
    this.port = await freePort();
    this.server = new PeerProcess({
      name: 'nats-server',
      command: 'nats-server',
      args: ['-js', '-sd', join(this.dir, 'store'), '-a', '127.0.0.1', '-p', String(this.port)],
      logFile: join(this.dir, 'server.log'),
    });
    this.server.start();
    await this.server.waitForPort(this.port);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private connect(): Promise<NatsConnection> {
    return connect({ servers: `127.0.0.1:${this.port}` });
  }

  private async createStreams(nc: NatsConnection, names: string[]): Promise<void> {
    const jsm = await nc.jetstreamManager();
    for (const name of names) {
      await jsm.streams.add({ name, subjects: [`${name}.data`], storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, num_replicas: 1, max_msgs: -1, max_bytes: -1 });
    }
  }

  private streams(w: { id: string; partitions: number }): string[] {
    return Array.from({ length: w.partitions }, (_, p) => `${w.id}-${p}`.replace(/[^A-Za-z0-9_-]/g, '_'));
  }

  async produce(w: ThroughputWorkload): Promise<Throughput> {
    const nc = await this.connect();
    const streams = this.streams(w);
    const subjects = streams.map((s) => `${s}.data`);
    const values = sampleValues(w.recordSize);
    try {
      await this.createStreams(nc, streams);
      const js = nc.jetstream();
      const c0 = ownCpuSeconds();
      const s0 = this.server!.cpuSeconds();
      const t0 = now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < w.records) {
          const i = next++;
          await js.publish(subjects[i % subjects.length]!, values[i & 1023]!);
        }
      };
      await Promise.all(Array.from({ length: PUBLISH_WINDOW }, worker));
      return { records: w.records, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0, serverCpuSeconds: this.server!.cpuSeconds() - s0 };
    } finally {
      await nc.close();
    }
  }

  async readBack(w: ThroughputWorkload): Promise<Throughput> {
    const nc = await this.connect();
    const streams = this.streams(w);
    try {
      const js = nc.jetstream();
      const perStream = streams.map((_, p) => Math.floor(w.records / streams.length) + (p < w.records % streams.length ? 1 : 0));
      const c0 = ownCpuSeconds();
      const s0 = this.server!.cpuSeconds();
      const t0 = now();
      let read = 0;
      let bytes = 0;
      await Promise.all(
        streams.map(async (stream, p) => {
          // No deliver_policy: an ordered consumer then starts at sequence 1, i.e. everything (an
          // explicit DeliverPolicy.All clashes with the start sequence the client sets itself).
          const consumer = await js.consumers.get(stream);
          const messages = await consumer.consume({ max_bytes: CONSUME_BYTES });
          let mine = 0;
          for await (const m of messages) {
            bytes += m.data.length;
            read++;
            if (++mine >= perStream[p]!) break;
          }
          await messages.close();
        }),
      );
      if (bytes < w.records * w.recordSize) throw new Error('read back fewer bytes than written');
      return { records: read, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0, serverCpuSeconds: this.server!.cpuSeconds() - s0 };
    } finally {
      await nc.close();
    }
  }

  async endToEnd(w: LatencyWorkload): Promise<Latency> {
    const nc = await this.connect();
    const [stream] = this.streams({ id: w.id, partitions: 1 });
    const subject = `${stream!}.data`;
    const template = sampleValues(Math.max(9, w.recordSize))[0]!;
    const samples: number[] = [];
    try {
      await this.createStreams(nc, [stream!]);
      const js = nc.jetstream();
      const consumer = await js.consumers.get(stream!, { deliver_policy: DeliverPolicy.New });
      const messages = await consumer.consume({ max_messages: 1000 });
      const reading = (async () => {
        for await (const m of messages) {
          const t = now();
          const sent = stampOf(m.data);
          if (sent !== null) samples.push(t - sent);
        }
      })();
      // The ordered consumer exists on the server once its first pull is out.
      await new Promise((r) => setTimeout(r, 200));
      const sent = await paced(w, (_k, measured) => void js.publish(subject, stampedValue(template, measured)).catch(() => undefined));
      const deadline = now() + 5000;
      while (samples.length < sent && now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await messages.close();
      await reading;
      return latencyOf(samples, Math.max(0, sent - samples.length));
    } finally {
      await nc.close();
    }
  }
}
