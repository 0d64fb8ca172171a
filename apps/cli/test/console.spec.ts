/** `strata console`: serves the built web console for the given brokers until SIGINT/SIGTERM. */
import { request } from 'node:http';
import { killAll, runCli, startCli } from './helpers/cli';
import { startTestBroker, type TestBroker } from './helpers/broker';

/** A raw GET (the path is sent as given). */
function get(url: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('strata console', () => {
  let tb: TestBroker;
  beforeAll(async () => {
    tb = await startTestBroker();
  });
  afterAll(async () => {
    killAll();
    await tb.close();
  });

  it('serves the console pointed at the brokers, prints its URL, and exits 0 on SIGINT', async () => {
    const c = startCli(['--brokers', tb.url, 'console', '--port', '0']);
    const out = await c.waitForStdout((s) => s.includes('/console/'));
    const url = /(http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(out)![1]!;
    expect(out).toBe(`Strata console for ${tb.url}: ${url}\n`);

    const index = await get(url, '/console/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<script type="module" src="app.js">');
    expect(index.headers['content-security-policy']).toContain(`connect-src 'self' ${new URL(tb.url).origin}`);
    expect(JSON.parse((await get(url, '/console/config.json')).body)).toEqual({ brokers: [tb.url] });
    expect((await get(url, '/console/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(await get(url, '/')).toMatchObject({ status: 302, headers: { location: '/console/' } });
    for (const path of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/missing.js', '/elsewhere']) expect([path, (await get(url, path)).status]).toEqual([path, 404]);

    const result = await c.stop('SIGINT');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('prints the URL as JSON with --json', async () => {
    const c = startCli(['--brokers', tb.url, '--json', 'console', '--port', '0']);
    const out = await c.waitForStdout((s) => s.endsWith('\n'));
    expect(JSON.parse(out)).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/console\/$/), brokers: [tb.url] });
    expect((await c.stop('SIGTERM')).code).toBe(0);
  });

  it('fails with exit code 3 when no broker answers, serving nothing', async () => {
    const result = await runCli(['--brokers', 'ws://127.0.0.1:1', '--timeout', '1500', 'console', '--port', '0']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
  });
});
