/**
 * FaultProxy: a TCP proxy in front of one endpoint (a broker's WebSocket port, or etcd's client
 * port for one broker) that cuts links on demand. Connections are told apart by the source
 * address of the connecting side: every broker opens its inter-broker connections from its own
 * 127.0.0.x (`inter.broker.local.address`), every client process from its own, so cutting
 * "broker 2 → broker 1" is `proxyOf(1).cut(['127.0.0.12'])` and the rest keeps flowing. Sources
 * nobody cut (the harness's own control connections from 127.0.0.1) always pass.
 *
 * Two ways to cut, as with iptables:
 * - 'drop' (DROP): nothing flows; open connections stall (both directions stop being read, so
 *   TCP back-pressure holds the sender) and new ones are accepted but never forwarded — the peer
 *   sees requests and handshakes time out, exactly like packets lost on the wire. Healing resumes
 *   the stalled streams where they stopped (a long delay, never a corrupt stream) and forwards
 *   the held connections.
 * - 'reset' (REJECT with tcp-reset): open connections are reset, new ones reset at once.
 * Bytes are forwarded verbatim, in order, with back-pressure (pause/resume on drain).
 *
 * Event loop only; one proxy per endpoint; the proxy never reads the bytes it forwards.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type CutMode = 'drop' | 'reset';

/** Every source address: cut(ALL) isolates the endpoint from everyone. */
export const ALL = '*';

export interface FaultProxyOptions {
  /** For messages and stats: "broker-1", "etcd-for-2". */
  name: string;
  /** Where to forward; null when the endpoint does not exist right now (the connection is reset). */
  target: () => { host: string; port: number } | null;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

interface Link {
  readonly client: Socket;
  upstream: Socket | null;
  readonly source: string;
  /** Cut in drop mode: nothing is read from either side. */
  stalled: boolean;
  /** Accepted while cut in drop mode: forwarded once healed. */
  held: boolean;
}

export interface ProxyStats {
  accepted: number;
  reset: number;
  held: number;
  stalled: number;
}

/** "::ffff:127.0.0.12" -> "127.0.0.12". */
function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class FaultProxy {
  private server: Server | null = null;
  private readonly links = new Set<Link>();
  private readonly cuts = new Map<string, CutMode>();
  private listenPort = 0;
  readonly stats: ProxyStats = { accepted: 0, reset: 0, held: 0, stalled: 0 };

  constructor(private readonly options: FaultProxyOptions) {}

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    if (!this.listenPort) throw new Error(`proxy ${this.options.name} is not listening`);
    return this.listenPort;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** Listens on a free port (or `port`); resolves with it. */
  async start(port = 0): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    this.listenPort = (server.address() as { port: number }).port; // a TCP server's address
    return this.listenPort;
  }

  /** The mode sources are cut with now (ALL included), or null. */
  modeFor(source: string): CutMode | null {
    return this.cuts.get(source) ?? this.cuts.get(ALL) ?? null;
  }

  /** The sources cut now. */
  cutSources(): string[] {
    return [...this.cuts.keys()];
  }

  /** Cuts `sources` (addresses, or ALL) from the endpoint, open connections included. */
  cut(sources: readonly string[], mode: CutMode): void {
    for (const s of sources) this.cuts.set(s, mode);
    for (const link of [...this.links]) {
      const m = this.modeFor(link.source);
      if (m === 'reset') this.reset(link);
      else if (m === 'drop' && !link.stalled && !link.held) this.stall(link);
    }
  }

  /** Lets `sources` (default: every source) through again; stalled and held connections resume. */
  heal(sources?: readonly string[]): void {
    if (sources) for (const s of sources) this.cuts.delete(s);
    else this.cuts.clear();
    for (const link of [...this.links]) {
      if (this.modeFor(link.source)) continue;
      if (link.held) {
        link.held = false;
        this.open(link);
      } else if (link.stalled) this.unstall(link);
    }
  }

  /** Resets every connection (the endpoint went away and came back); cuts stay. */
  resetAll(): void {
    for (const link of [...this.links]) this.reset(link);
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) this.destroy(link);
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.accepted++;
    const link: Link = { client, upstream: null, source: plainAddress(client.remoteAddress), stalled: false, held: false };
    this.links.add(link);
    client.on('error', () => this.destroy(link));
    client.on('close', () => this.destroy(link));
    const mode = this.modeFor(link.source);
    if (mode === 'reset') {
      this.reset(link);
      return;
    }
    if (mode === 'drop') {
      this.stats.held++;
      link.held = true;
      client.pause();
      return;
    }
    this.open(link);
  }

  private open(link: Link): void {
    const target = this.options.target();
    if (!target) {
      this.reset(link);
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    link.upstream = upstream;
    upstream.on('error', () => this.reset(link));
    upstream.on('close', () => this.destroy(link));
    this.forward(link, link.client, upstream);
    this.forward(link, upstream, link.client);
    link.client.resume();
  }

  /** from -> to, verbatim, with back-pressure; nothing is read while the link is stalled. */
  private forward(link: Link, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!link.stalled) from.resume();
    });
    from.on('end', () => to.end());
  }

  private stall(link: Link): void {
    this.stats.stalled++;
    link.stalled = true;
    link.client.pause();
    link.upstream?.pause();
  }

  private unstall(link: Link): void {
    link.stalled = false;
    const up = link.upstream;
    if (!up) return;
    if (!up.writableNeedDrain) link.client.resume();
    if (!link.client.writableNeedDrain) up.resume();
  }

  private reset(link: Link): void {
    this.stats.reset++;
    this.links.delete(link);
    for (const socket of [link.client, link.upstream]) {
      if (!socket || socket.destroyed) continue;
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy(); // not a connected TCP socket (any more): a plain close
      }
    }
  }

  private destroy(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }
}
