/**
 * Serves the web console (the built files of the @strata/console package) under /console/ on the
 * broker's port, so the app and the WebSocket API share one origin.
 *
 * The broker never imports the console: the folder is resolved at run time (the package's dist/),
 * and when it is missing (not built, not installed) /console/ answers 503 with a page that says
 * how to get it. Only GET and HEAD; a path that leaves the folder (`..`, encoded or not) is a 404.
 * `config.json` is generated here: an empty broker list tells the app to connect to the origin it
 * was loaded from. Every answer carries a Content-Security-Policy that allows nothing but this
 * origin (and its WebSocket), so the console makes no other network request.
 *
 * Files are read on each request (the console is small and rarely loaded); no state is shared
 * between requests.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';

export const CONSOLE_PATH = '/console';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
};

const HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The console package, looked up by name at run time like an optional plugin. Not a literal in a
 * require: the broker has no build-time dependency on the console (whose tests start a broker), and
 * nx would record one, a cycle, from a literal.
 */
const CONSOLE_PACKAGE = ['@strata', 'console'].join('/');

/** The console's built files: the dist/ folder of the installed @strata/console, or null when it is not installed. */
export function findConsoleDir(): string | null {
  try {
    return join(dirname(require.resolve(`${CONSOLE_PACKAGE}/package.json`)), 'dist');
  } catch {
    return null;
  }
}

export class ConsoleAssets {
  /**
   * @param dir folder holding index.html and the bundle, or null (not installed)
   * @param enabled false: /console/ answers 404 saying so (console.enable=false)
   */
  constructor(
    private readonly dir: string | null,
    private readonly enabled: boolean,
  ) {}

  /** True when `path` is the console's (then the response has been or is being written). */
  handles(path: string): boolean {
    return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
  }

  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!this.enabled) return page(res, 404, 'The web console is off', 'This broker runs with <code>console.enable=false</code>. Use <code>strata console</code> to browse it from your machine.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      return;
    }
    if (path === CONSOLE_PATH) {
      res.writeHead(301, { ...HEADERS, location: `${CONSOLE_PATH}/` });
      res.end();
      return;
    }
    if (this.dir === null || !(await isFile(join(this.dir, 'index.html')))) {
      return page(
        res,
        503,
        'The web console is not built',
        'Build it with <code>npm run build</code> in the Strata repository, or install the <code>@strata/console</code> package beside <code>@strata/broker</code>.',
      );
    }
    const name = path.slice(CONSOLE_PATH.length + 1) || 'index.html';
    if (name === 'config.json') return send(req, res, 200, CONTENT_TYPES['.json']!, Buffer.from('{"brokers":[]}\n'));
    const file = this.fileOf(name);
    if (file === null || !(await isFile(file))) return page(res, 404, 'Not found', 'The console has no such file.');
    return send(req, res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
  }

  /** The file `name` (URL-encoded, relative) names inside the console folder, or null when it would leave it. */
  private fileOf(name: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      return null;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return null;
    const root = normalize(this.dir! + sep); // checked by serve()
    const file = normalize(join(root, decoded));
    return file.startsWith(root) ? file : null;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: Buffer): void {
  res.writeHead(status, { ...HEADERS, 'content-type': contentType, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function page(res: ServerResponse, status: number, title: string, html: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Strata</title></head><body><h1>${title}</h1><p>${html}</p></body></html>\n`;
  res.writeHead(status, { ...HEADERS, 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}
