/**
 * Slow and unfinished clients cannot exhaust the broker (the built binary, as users run it):
 * - under a lowered `ulimit -n`, hundreds of connections that never finish their handshake take
 *   neither every descriptor nor the broker's attention: they are refused past the per-address and
 *   overall limits or closed at the handshake timeout, a legitimate client is served meanwhile, and
 *   no checkpoint fails for lack of a descriptor;
 * - connections each holding most of a huge unfinished frame stop being read once
 *   queued.max.request.bytes is held, so the broker's memory does not grow with what they send.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp';
import { WireClient, createTopic, produce } from './helpers/wire-client';

const BIN = join(__dirname, '..', 'dist', 'bin', 'strata-broker.js');
const MiB = 1024 * 1024;

interface Spawned {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
}

/** Starts the binary (under `ulimit -n` when given) and waits for "broker started". */
async function startBinary(args: string[], ulimit?: number): Promise<Spawned> {
  const child = ulimit
    ? spawn('bash', ['-c', `ulimit -n ${ulimit} && exec "$0" "$@"`, process.execPath, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const line = out.split('\n').find((l) => l.includes('broker started'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}: ${out}`)));
  });
  return { child, url, port: Number(new URL(url).port), output: () => out };
}

async function stop(s: Spawned): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  return exited;
}

async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** A TCP connection from `localAddress` that sends `greeting` (maybe nothing) and then nothing more. */
function idleSocket(port: number, localAddress: string, greeting: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined); // a refused or reset socket just closes
    socket.resume(); // read (and drop) what the broker answers, so its close is seen
    socket.once('connect', () => {
      if (greeting) socket.write(greeting);
      resolve({ socket, closed });
    });
    socket.once('close', () => resolve({ socket, closed }));
  });
}

/** Polls `read` until it returns the same value three times in a row. */
async function settled(read: () => Promise<number>): Promise<number> {
  let last = NaN;
  let same = 0;
  for (;;) {
    const v = await read();
    same = v === last ? same + 1 : 0;
    last = v;
    if (same >= 3) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Upgrades a raw socket to WebSocket and sends the header of a `announced`-byte binary frame plus `send` payload bytes. */
async function unfinishedFrame(port: number, announced: number, send: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
  });
  const header = Buffer.alloc(14);
  header[0] = 0x82; // FIN, binary
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(announced), 2);
  randomBytes(4).copy(header, 10);
  socket.write(header);
  // Write without waiting: what the broker does not read stays in this process's buffers.
  const chunk = Buffer.alloc(MiB, 7);
  for (let sent = 0; sent < send; sent += MiB) socket.write(chunk);
  return socket;
}

describe('slow and unfinished clients (strata-broker binary)', () => {
  it('cannot take every descriptor under a lowered ulimit -n: idle connections are refused or timed out, others are served, checkpoints succeed', async () => {
    const { dir, cleanup } = tempDir();
    const broker = await startBinary(
      [
        '--data.dir', dir, '--port', '0', '--log.level', 'info',
        '--log.open.files.max', '16',
        '--log.recovery.checkpoint.interval.ms', '100',
        '--connection.handshake.timeout.ms', '1500',
        '--max.connections.per.ip', '100',
      ],
      256,
    );
    const sockets: Array<{ socket: Socket; closed: Promise<void> }> = [];
    try {
      // 400 connections from one address (more than the 256 descriptors the broker has): half send
      // nothing, half the beginning of an HTTP upgrade that never ends.
      for (let i = 0; i < 400; i++) {
        sockets.push(await idleSocket(broker.port, '127.0.0.2', i % 2 === 0 ? '' : `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n`));
      }
      // Meanwhile a client from another address is served, and its writes reach the disk.
      const client = await WireClient.connect(broker.url);
      await createTopic(client, 'served');
      const offsets: number[] = [];
      for (let i = 0; i < 20; i++) offsets.push(await produce(client, 'served', 0, [{ value: `v${i}` }]));
      expect(offsets).toEqual([...Array(20).keys()]);
      await client.close();
      // Every idle connection is closed by the broker: refused at once past the per-address limit,
      // or at the handshake timeout.
      await Promise.all(sockets.map((s) => s.closed));
      expect(await metric(broker.port, 'strata_connections_refused_total', '{reason="max-connections-per-ip"}')).toBeGreaterThanOrEqual(300);
      expect(await metric(broker.port, 'strata_connections_closed_total', '{reason="handshake-timeout"}')).toBeGreaterThanOrEqual(100);
      expect(await stop(broker)).toBe(0);
      expect(existsSync(join(dir, '.clean-shutdown'))).toBe(true);
      // No descriptor ran out: no EMFILE anywhere, no failed checkpoint.
      expect(broker.output()).not.toMatch(/EMFILE|checkpoint failed/);
    } finally {
      for (const s of sockets) s.socket.destroy();
      if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
      cleanup();
    }
  }, 90_000);

  it('stops reading unfinished frames once queued.max.request.bytes is held, and gives the memory back when they close', async () => {
    const { dir, cleanup } = tempDir();
    const cap = 64 * MiB;
    const broker = await startBinary(['--data.dir', dir, '--port', '0', '--log.level', 'info', '--queued.max.request.bytes', String(cap)]);
    const sockets: Socket[] = [];
    try {
      const before = rssMiB(broker.child.pid!);
      // 16 connections, each sending 40 MiB of a 48 MiB frame: 640 MiB offered.
      for (let i = 0; i < 16; i++) sockets.push(await unfinishedFrame(broker.port, 48 * MiB, 40 * MiB));
      const held = await settled(() => metric(broker.port, 'strata_queued_request_bytes'));
      const during = rssMiB(broker.child.pid!);
      // The pool admitted frames while it had room (the last one may overshoot by one frame)...
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(cap + 48 * MiB);
      // ...and the rest wait unread in the clients' own buffers, not in the broker's memory.
      const unsent = sockets.reduce((n, s) => n + s.writableLength, 0);
      expect(unsent).toBeGreaterThan(400 * MiB);
      expect(during - before).toBeLessThan(320);
      for (const s of sockets) s.destroy();
      expect(await settled(() => metric(broker.port, 'strata_queued_request_bytes'))).toBe(0);
      const after = rssMiB(broker.child.pid!);
      process.stdout.write(`slow-client memory: RSS before ${before} MiB, during ${during} MiB, after ${after} MiB (640 MiB offered, cap ${cap / MiB} MiB)\n`);
      expect(await stop(broker)).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
      cleanup();
    }
  }, 90_000);
});
