/**
 * FaultProxy against a real echo server on loopback: bytes pass verbatim; a 'reset' cut resets
 * the cut source's connections and refuses new ones while other sources go on; a 'drop' cut
 * stalls a connection (nothing comes back while an uncut connection through the same proxy
 * round-trips) and healing delivers what was held, in order.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FaultProxy } from './fault-proxy';

const CUT = '127.0.0.50';
const OTHER = '127.0.0.51';

let echo: Server;
let echoPort = 0;
let proxy: FaultProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  echo = createServer((s) => {
    s.on('error', () => undefined); // the proxy resets its upstream side too
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port; // a TCP server's address
  proxy = new FaultProxy({ name: 'test', target: () => ({ host: '127.0.0.1', port: echoPort }) });
  await proxy.start();
});

afterEach(() => proxy.heal());

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

function open(source: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: proxy.port, localAddress: source }, () => resolve(s));
    sockets.push(s);
    s.once('error', reject);
  });
}

/** Collects what the socket receives. */
function received(s: Socket): { text: () => string } {
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

async function roundTrip(s: Socket, message: Buffer | string): Promise<Buffer> {
  const bytes = Buffer.from(message);
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let length = 0;
    const onData = (d: Buffer) => {
      parts.push(d);
      length += d.length;
      if (length >= bytes.length) {
        s.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', onData);
    s.write(bytes);
  });
}

it('forwards bytes verbatim both ways', async () => {
  const s = await open(OTHER);
  const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
  expect((await roundTrip(s, big)).equals(big)).toBe(true);
  s.destroy();
});

it('reset: the cut source is reset, now and on reconnect; other sources go on', async () => {
  const cut = await open(CUT);
  const other = await open(OTHER);
  const closed = new Promise<string>((resolve) => {
    cut.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    cut.on('close', () => resolve('closed'));
  });
  proxy.cut([CUT], 'reset');
  expect(['ECONNRESET', 'closed']).toContain(await closed);
  const again = new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: proxy.port, localAddress: CUT });
    sockets.push(s);
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('close', () => resolve('closed'));
    s.on('data', () => resolve('data'));
    s.write('ping');
  });
  expect(['ECONNRESET', 'closed']).toContain(await again);
  expect((await roundTrip(other, 'still here')).toString()).toBe('still here');
  other.destroy();
});

it('drop: the cut connection stalls while others flow; healing delivers what was held, in order', async () => {
  const cut = await open(CUT);
  const other = await open(OTHER);
  const got = received(cut);
  proxy.cut([CUT], 'drop');
  cut.write('one,');
  cut.write('two,');
  // A round trip on an uncut connection through the same proxy: the stalled one got nothing meanwhile.
  expect((await roundTrip(other, 'witness')).toString()).toBe('witness');
  expect(got.text()).toBe('');
  expect(proxy.cutSources()).toEqual([CUT]);
  proxy.heal();
  cut.write('three');
  await new Promise<void>((resolve) => {
    const check = () => (got.text().length >= 'one,two,three'.length ? resolve() : setTimeout(check, 10));
    check();
  });
  expect(got.text()).toBe('one,two,three');
  cut.destroy();
  other.destroy();
});
