/**
 * A transport whose network can be cut, to abandon a consumer as if its process died: kill()
 * closes every connection at once and refuses new ones; nothing more is sent or received (no
 * leave, no commit, no heartbeat), so the coordinator only notices through the session timeout
 * (or, for a static member, a closed connection).
 */
import { wsTransport, type Transport, type TransportConnection } from '../../src';

export interface KillableTransport {
  readonly transport: Transport;
  readonly killed: boolean;
  kill(): void;
}

export function killableTransport(): KillableTransport {
  const inner = wsTransport();
  const open = new Set<TransportConnection>();
  let killed = false;
  const transport: Transport = {
    name: 'killable',
    async connect(url, options) {
      if (killed) throw new Error(`cannot connect to ${url}: the network is gone`);
      const connection = await inner.connect(url, {
        ...options,
        onMessage: (frame) => {
          if (!killed) options.onMessage(frame);
        },
        onClose: (info) => {
          open.delete(connection);
          options.onClose(info);
        },
      });
      if (killed) {
        connection.close();
        throw new Error(`cannot connect to ${url}: the network is gone`);
      }
      open.add(connection);
      return {
        send(frame) {
          if (killed) throw new Error('the network is gone');
          connection.send(frame);
        },
        close: (code, reason) => connection.close(code, reason),
        get bufferedAmount() {
          return connection.bufferedAmount;
        },
        get isOpen() {
          return !killed && connection.isOpen;
        },
      };
    },
  };
  return {
    transport,
    get killed() {
      return killed;
    },
    kill() {
      killed = true;
      for (const c of [...open]) c.close(4000, 'killed');
    },
  };
}
