/**
 * The web console's files under /console/: served from a folder given at run time, never outside
 * it; a clear page when the console is missing or turned off; console.enable resolved against the
 * listening host.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { resolveBrokerConfig } from '../src';
import { ConsoleAssets } from '../src/server/console-assets';
import { testBroker } from './helpers/broker';
import { tempDir } from './helpers/tmp';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (the path is sent exactly as given, `..` included). */
function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(assets: ConsoleAssets): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (assets.handles(path)) void assets.serve(req, res, path);
    else res.writeHead(426).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('ConsoleAssets', () => {
  const tmp = tempDir('strata-console-');
  const dist = join(tmp.dir, 'dist');
  let port: number;
  let server: Server;

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dist, 'app.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'app.css'), 'body{}');
    writeFileSync(join(tmp.dir, 'secret.txt'), 'secret');
    ({ port, server } = await serve(new ConsoleAssets(dist, true)));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    tmp.cleanup();
  });

  it('serves index.html at /console/ and redirects /console there', async () => {
    const index = await get(port, '/console/');
    expect(index).toMatchObject({ status: 200, body: '<!doctype html><title>console</title>' });
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(await get(port, '/console')).toMatchObject({ status: 301, headers: { location: '/console/' } });
  });

  it('serves the files of the folder with their content types, and HEAD without a body', async () => {
    expect(await get(port, '/console/app.js')).toMatchObject({ status: 200, body: 'console.log(1)', headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(await get(port, '/console/assets/app.css?v=1')).toMatchObject({ status: 200, headers: { 'content-type': 'text/css; charset=utf-8' } });
    expect(await get(port, '/console/app.js', 'HEAD')).toMatchObject({ status: 200, body: '', headers: { 'content-length': '14' } });
    expect(await get(port, '/console/app.js', 'POST')).toMatchObject({ status: 405 });
  });

  it('tells the app to connect to its own origin', async () => {
    const config = await get(port, '/console/config.json');
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body)).toEqual({ brokers: [] });
  });

  it('answers 404 for a missing file and for every path that would leave the folder', async () => {
    for (const path of ['/console/nope.js', '/console/assets', '/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/..%2fsecret.txt', '/console/%2e%2e%5csecret.txt', '/console/%E0%A4%A']) {
      const answer = await get(port, path);
      expect([path, answer.status]).toEqual([path, 404]);
      expect(answer.body).not.toContain('secret');
    }
  });

  it('answers 503 with instructions when the console is not installed or not built', async () => {
    for (const dir of [null, join(tmp.dir, 'empty')]) {
      const other = await serve(new ConsoleAssets(dir, true));
      try {
        const answer = await get(other.port, '/console/');
        expect(answer.status).toBe(503);
        expect(answer.body).toContain('not built');
        expect(answer.body).toContain('npm run build');
      } finally {
        await new Promise((resolve) => other.server.close(resolve));
      }
    }
  });

  it('answers 404 naming console.enable when the console is off', async () => {
    const off = await serve(new ConsoleAssets(dist, false));
    try {
      const answer = await get(off.port, '/console/');
      expect(answer.status).toBe(404);
      expect(answer.body).toContain('console.enable=false');
    } finally {
      await new Promise((resolve) => off.server.close(resolve));
    }
  });
});

describe('console.enable', () => {
  it('is on by default for loopback listeners only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect([host, resolveBrokerConfig({ options: { host } }).consoleEnabled]).toEqual([host, true]);
    for (const host of ['0.0.0.0', '10.1.2.3', '::', 'broker.example']) expect([host, resolveBrokerConfig({ options: { host } }).consoleEnabled]).toEqual([host, false]);
  });

  it('takes true, false or "auto" from any source, and nothing else', () => {
    expect(resolveBrokerConfig({ options: { host: '0.0.0.0', 'console.enable': true } }).consoleEnabled).toBe(true);
    expect(resolveBrokerConfig({ env: { STRATA_CONSOLE_ENABLE: 'false' } }).consoleEnabled).toBe(false);
    expect(resolveBrokerConfig({ flags: { host: '0.0.0.0', 'console.enable': 'true' } }).consoleEnabled).toBe(true);
    expect(resolveBrokerConfig({ file: { 'console.enable': 'auto' } }).consoleEnabled).toBe(true);
    expect(() => resolveBrokerConfig({ options: { 'console.enable': 'yes' } })).toThrow(/console\.enable: expected true, false or "auto"/);
  });

  it('turns the broker\'s /console/ off without touching its other HTTP answers', async () => {
    const broker = await testBroker({ config: { 'console.enable': false } });
    try {
      expect((await get(broker.port, '/console/')).status).toBe(404);
      expect((await get(broker.port, '/healthz')).status).toBe(200);
      expect((await get(broker.port, '/')).status).toBe(426);
    } finally {
      await broker.cleanup();
    }
  });
});
