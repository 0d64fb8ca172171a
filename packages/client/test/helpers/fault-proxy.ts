/**
 * A fault-injecting WebSocket proxy between a client and a real broker, for delivery tests (start
 * the broker with `advertised.url` set to the proxy's URL, so that clients reach it through the
 * proxy after the first Metadata response too). Each
 * client connection gets its own upstream connection; frames are forwarded unchanged, except that,
 * from a seeded random sequence, some responses to Produce requests are dropped (the broker wrote
 * the batch, the producer never hears of it) and some connections are closed (both sides) after a
 * frame. `pause()` makes it swallow every response until `resume()` (a broker that stopped
 * answering).
 */
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ApiKey, decodeRequestFrame, decodeResponseFrame } from '@strata/protocol';

export interface FaultProxyOptions {
  /** Where the broker listens: ws://127.0.0.1:port (or set later with setTarget). */
  target?: string;
  seed: number;
  /** Probability of dropping a Produce response. */
  dropResponse?: number;
  /** Probability of closing the connection after forwarding a response. */
  closeConnection?: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly stats: { dropped: number; closed: number; connections: number };
  /** Where new connections go. */
  setTarget(url: string): void;
  /** Changes the fault rates (0 turns faults off). */
  setFaults(dropResponse: number, closeConnection: number): void;
  close(): Promise<void>;
}

/** mulberry32: a small deterministic PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = seededRandom(options.seed);
  let drop = options.dropResponse ?? 0;
  let close = options.closeConnection ?? 0;
  let target = options.target ?? '';
  const stats = { dropped: 0, closed: 0, connections: 0 };
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const sockets = new Set<WebSocket>();

  server.on('connection', (client) => {
    stats.connections++;
    sockets.add(client);
    const upstream = new WebSocket(target, { perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 });
    sockets.add(upstream);
    const produceRequests = new Set<number>();
    const early: RawData[] = [];
    const shut = (): void => {
      client.terminate();
      upstream.terminate();
    };
    upstream.on('open', () => {
      for (const d of early.splice(0)) upstream.send(d, { binary: true });
    });
    client.on('message', (data) => {
      const frame = bytes(data);
      try {
        const header = decodeRequestFrame(frame).header;
        if (header.apiKey === ApiKey.Produce) produceRequests.add(header.correlationId);
      } catch {
        // forwarded as is; the broker answers malformed frames itself
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(frame, { binary: true });
      else if (upstream.readyState === WebSocket.CONNECTING) early.push(data);
    });
    upstream.on('message', (data) => {
      const frame = bytes(data);
      let isProduce = false;
      try {
        const id = decodeResponseFrame(frame).correlationId;
        isProduce = produceRequests.delete(id);
      } catch {
        isProduce = false;
      }
      if (isProduce && random() < drop) {
        stats.dropped++;
        return;
      }
      if (client.readyState === WebSocket.OPEN) client.send(frame, { binary: true });
      if (isProduce && random() < close) {
        stats.closed++;
        shut();
      }
    });
    client.on('close', shut);
    upstream.on('close', shut);
    client.on('error', shut);
    upstream.on('error', shut);
  });

  return {
    get url() {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
      return `ws://127.0.0.1:${address.port}`;
    },
    stats,
    setTarget(url: string) {
      target = url;
    },
    setFaults(d: number, c: number) {
      drop = d;
      close = c;
    },
    async close() {
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
