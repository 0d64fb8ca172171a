/**
 * RabbitMQ stream queues: Debian's rabbitmq-server (with an epmd of our own on a free port, so no
 * daemon outlives the run) on loopback ports with its own folders; amqplib with `noDelay` as the
 * client. One stream queue (`x-queue-type: stream`) per partition. Produce: a confirm channel with
 * up to 5,000 unconfirmed messages, round-robin over the queues. Read back: a consumer per queue
 * with `x-stream-offset: first`, prefetch 2,000, acknowledging every 500 messages. End-to-end:
 * one publish per record; a consumer with `x-stream-offset: next`, prefetch 100.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { freePort } from '../broker-process';
import { sampleValues } from '../producer-matrix';
import { PeerProcess } from './peer-process';
import { clientVersion } from './redis-system';
import { latencyOf, now, ownCpuSeconds, paced, stampOf, stampedValue, type Latency, type LatencyWorkload, type SystemUnderTest, type Throughput, type ThroughputWorkload } from './types';

const CONFIRM_WINDOW = 5000;
const PREFETCH = 2000;
const ACK_EVERY = 500;

function debVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

export class RabbitMqSystem implements SystemUnderTest {
  readonly name = 'RabbitMQ streams';
  private epmd: PeerProcess | null = null;
  private server: PeerProcess | null = null;
  private dir = '';
  private port = 0;

  async versions(): Promise<string> {
    return `rabbitmq-server ${debVersion('rabbitmq-server')} (Erlang ${debVersion('erlang-base')}), amqplib ${clientVersion('amqplib')}`;
  }

  settings(): string[] {
    return [
      'server: `/usr/lib/rabbitmq/bin/rabbitmq-server` with RABBITMQ_NODENAME=strata-bench@localhost, `listeners.tcp.default = 127.0.0.1:<free port>`, RABBITMQ_MNESIA_BASE/RABBITMQ_LOG_BASE/HOME in a fresh temporary folder, no plugins, ERL_EPMD_PORT of an `epmd -port <free port> -address 127.0.0.1` started (and stopped) by the benchmark',
      `produce: one durable stream queue per partition (\`x-queue-type: stream\`); amqplib (noDelay) confirm channel, \`sendToQueue\` with up to ${CONFIRM_WINDOW} unconfirmed messages, round-robin over the queues`,
      `read back: one consumer per queue, \`x-stream-offset: first\`, prefetch ${PREFETCH}, \`ack(message, allUpTo)\` every ${ACK_EVERY} messages`,
      'end-to-end: `sendToQueue` per record on a confirm channel; a consumer with `x-stream-offset: next`, prefetch 100, acking each message',
    ];
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'strata-compare-rabbitmq-'));
    this.port = await freePort();
    const epmdPort = await freePort();
    const distPort = await freePort();
    mkdirSync(join(this.dir, 'home'));
    writeFileSync(join(this.dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${this.port}\nloopback_users = none\n`);
    writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
    this.epmd = new PeerProcess({ name: 'epmd', command: 'epmd', args: ['-port', String(epmdPort), '-address', '127.0.0.1'], logFile: join(this.dir, 'epmd.log') });
    this.epmd.start();
    await this.epmd.waitForPort(epmdPort, 10_000);
    this.server = new PeerProcess({
      name: 'rabbitmq-server',
      command: '/usr/lib/rabbitmq/bin/rabbitmq-server',
      args: [],
      cwd: this.dir,
      env: {
        HOME: join(this.dir, 'home'),
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_NODENAME: 'strata-bench@localhost',
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq'),
        RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(this.dir, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: join(this.dir, 'rabbitmq.pid'),
      },
      logFile: join(this.dir, 'server.log'),
    });
    this.server.start();
    await this.server.waitForPort(this.port, 120_000);
  }

  async stop(): Promise<void> {
    await this.server?.stop(30_000);
    await this.epmd?.stop();
    this.server = null;
    this.epmd = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private connect(): Promise<ChannelModel> {
    return connect(`amqp://guest:guest@127.0.0.1:${this.port}`, { noDelay: true });
  }

  private queues(w: { id: string; partitions: number }): string[] {
    return Array.from({ length: w.partitions }, (_, p) => `${w.id}-${p}`);
  }

  private cpu(): number {
    return this.server!.cpuSeconds() + this.epmd!.cpuSeconds();
  }

  async produce(w: ThroughputWorkload): Promise<Throughput> {
    const conn = await this.connect();
    const queues = this.queues(w);
    const values = sampleValues(w.recordSize).map((v) => Buffer.from(v));
    try {
      const ch = await conn.createConfirmChannel();
      for (const q of queues) await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'stream' } });
      const c0 = ownCpuSeconds();
      const s0 = this.cpu();
      const t0 = now();
      let confirmed = 0;
      let outstanding = 0;
      let failure: Error | null = null;
      let wake: (() => void) | null = null;
      const notify = (): void => {
        const w2 = wake;
        wake = null;
        w2?.();
      };
      for (let i = 0; i < w.records; i++) {
        while (outstanding >= CONFIRM_WINDOW && failure === null) await new Promise<void>((r) => (wake = r));
        if (failure) throw failure;
        outstanding++;
        const ok = ch.sendToQueue(queues[i % queues.length]!, values[i & 1023]!, {}, (err) => {
          outstanding--;
          if (err) failure ??= err instanceof Error ? err : new Error(String(err));
          else confirmed++;
          notify();
        });
        if (!ok) await new Promise<void>((r) => ch.once('drain', () => r()));
      }
      while (confirmed < w.records && failure === null) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
      const result = { records: w.records, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0, serverCpuSeconds: this.cpu() - s0 };
      await ch.close();
      return result;
    } finally {
      await conn.close();
    }
  }

  async readBack(w: ThroughputWorkload): Promise<Throughput> {
    const conn = await this.connect();
    const queues = this.queues(w);
    try {
      const ch = await conn.createChannel();
      await ch.prefetch(PREFETCH);
      const c0 = ownCpuSeconds();
      const s0 = this.cpu();
      const t0 = now();
      let read = 0;
      let bytes = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const tags: string[] = [];
      for (const q of queues) {
        let sinceAck = 0;
        const { consumerTag } = await ch.consume(
          q,
          (m: ConsumeMessage | null) => {
            if (!m) return;
            bytes += m.content.length;
            read++;
            if (++sinceAck >= ACK_EVERY) {
              ch.ack(m, true);
              sinceAck = 0;
            }
            if (read >= w.records) done();
          },
          { noAck: false, arguments: { 'x-stream-offset': 'first' } },
        );
        tags.push(consumerTag);
      }
      await finished;
      const result = { records: read, seconds: (now() - t0) / 1000, clientCpuSeconds: ownCpuSeconds() - c0, serverCpuSeconds: this.cpu() - s0 };
      if (bytes < w.records * w.recordSize) throw new Error('read back fewer bytes than written');
      for (const tag of tags) await ch.cancel(tag);
      await ch.close().catch(() => undefined);
      return result;
    } finally {
      await conn.close();
    }
  }

  async endToEnd(w: LatencyWorkload): Promise<Latency> {
    const conn = await this.connect();
    const [queue] = this.queues({ id: w.id, partitions: 1 });
    const template = Buffer.from(sampleValues(Math.max(9, w.recordSize))[0]!);
    const samples: number[] = [];
    try {
      const pub = await conn.createConfirmChannel();
      await pub.assertQueue(queue!, { durable: true, arguments: { 'x-queue-type': 'stream' } });
      const sub = await conn.createChannel();
      await sub.prefetch(100);
      await sub.consume(
        queue!,
        (m: ConsumeMessage | null) => {
          if (!m) return;
          const t = now();
          const sent = stampOf(m.content);
          if (sent !== null) samples.push(t - sent);
          sub.ack(m);
        },
        { noAck: false, arguments: { 'x-stream-offset': 'next' } },
      );
      await new Promise((r) => setTimeout(r, 200));
      const sent = await paced(w, (_k, measured) => {
        pub.sendToQueue(queue!, stampedValue(template, measured), {}, () => undefined);
      });
      const deadline = now() + 5000;
      while (samples.length < sent && now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return latencyOf(samples, Math.max(0, sent - samples.length));
    } finally {
      await conn.close();
    }
  }
}
