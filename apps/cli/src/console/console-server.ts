/**
 * The local web server of `strata console`: serves the built web console (the dist/ folder of the
 * installed @strata/console) under /console/, with a config.json that points the app at the
 * brokers given to the CLI. The browser then talks to those brokers directly over WebSocket.
 *
 * GET and HEAD only; paths never leave the folder; `/` redirects to /console/. The
 * Content-Security-Policy lets the page reach only this server and the brokers' WebSocket origins.
 * Files are read on each request; nothing is shared between requests.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The console package (a dependency of the CLI), resolved at run time: its files are served, never
 * imported. Not a literal in a require, which nx would record as a lazy-loaded import of code.
 */
const CONSOLE_PACKAGE = ['@strata', 'console'].join('/');

/** The console's built files, or null when @strata/console is not installed. */
export function consoleDir(): string | null {
  try {
    return join(dirname(require.resolve(`${CONSOLE_PACKAGE}/package.json`)), 'dist');
  } catch {
    return null;
  }
}

export interface ConsoleServer {
  /** http://host:port/console/ */
  readonly url: string;
  close(): Promise<void>;
}

export async function startConsoleServer(options: { dir: string; brokers: readonly string[]; host: string; port: number }): Promise<ConsoleServer> {
  const root = normalize(options.dir + sep);
  const config = Buffer.from(`${JSON.stringify({ brokers: options.brokers })}\n`);
  const origins = [...new Set(options.brokers.map((b) => new URL(b).origin))].join(' ');
  const headers = {
    'content-security-policy': `default-src 'self'; connect-src 'self' ${origins}; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  const send = (req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer) => {
    res.writeHead(status, { ...headers, 'content-type': type, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, 'text/plain', Buffer.from('method not allowed\n'));
    if (path === '/' || path === '/console') {
      res.writeHead(302, { ...headers, location: '/console/' });
      return void res.end();
    }
    if (!path.startsWith('/console/')) return send(req, res, 404, 'text/plain', Buffer.from('not found\n'));
    const name = path.slice('/console/'.length) || 'index.html';
    if (name === 'config.json') return send(req, res, 200, TYPES['.json']!, config);
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      return send(req, res, 404, 'text/plain', Buffer.from('not found\n'));
    }
    const file = normalize(join(root, decoded));
    if (!file.startsWith(root) || decoded.includes('\0') || !(await stat(file).then((s) => s.isFile(), () => false))) return send(req, res, 404, 'text/plain', Buffer.from('not found\n'));
    return send(req, res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo; // listening on TCP
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/console/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
