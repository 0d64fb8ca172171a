/**
 * Tells quickly that no broker is listening: while the SDK retries a refused connection with
 * backoff (seconds, so that a restarting broker is waited for), the CLI probes each broker's TCP
 * port itself and gives up once every broker refused the connection `rounds` times in a row,
 * `intervalMs` apart (about half a second by default). A broker that accepts the TCP connection
 * stops the probe: then the SDK's connect (and --timeout) decide. Other errors (unreachable host,
 * DNS) do not count as refusals. Node only; one probe per command.
 */
import { connect } from 'node:net';

export interface ProbeOptions {
  rounds: number;
  intervalMs: number;
  /** Stops the probe (the SDK connected first). */
  signal: AbortSignal;
}

type Outcome = 'refused' | 'accepted' | 'other';

function tryConnect(url: string): Promise<Outcome> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    port = Number(u.port) || (u.protocol === 'wss:' ? 443 : 80);
  } catch {
    return Promise.resolve('other');
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'other');
    });
  });
}

/**
 * Resolves with a description of the refusal when every broker refused in `rounds` consecutive
 * rounds; never resolves otherwise (a broker accepted, or the signal aborted).
 */
export function refusedEverywhere(brokers: readonly string[], o: ProbeOptions): Promise<string> {
  return new Promise((resolve) => {
    let streak = 0;
    const round = async (): Promise<void> => {
      if (o.signal.aborted) return;
      const outcomes = await Promise.all(brokers.map(tryConnect));
      if (o.signal.aborted || outcomes.includes('accepted')) return;
      streak = outcomes.every((x) => x === 'refused') ? streak + 1 : 0;
      if (streak >= o.rounds) {
        resolve(`connection refused (nothing listens on ${brokers.map((b) => new URL(b).host).join(', ')})`);
        return;
      }
      const timer = setTimeout(() => void round(), o.intervalMs);
      timer.unref();
      o.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    };
    void round();
  });
}
