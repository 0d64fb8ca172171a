/**
 * What a browser downloads stays small: the built console (app, SDK, Preact, styles, page) is at
 * most 150 KB gzipped, and the SDK's browser entry alone, bundled as a web app would bundle it, at
 * most 90 KB (it was 176 KB while option validation used zod). Sizes are of gzip level 9 output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const DIST = join(__dirname, '..', 'dist');
const gzipped = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length;

describe('bundle size', () => {
  it('keeps the console at most 150 KB gzipped, SDK included', () => {
    const files = ['app.js', 'styles.css', 'index.html'].map((f) => readFileSync(join(DIST, f)));
    const total = files.reduce((n, f) => n + gzipped(f), 0);
    expect(total).toBeGreaterThan(20_000); // the SDK is in it
    expect(total).toBeLessThanOrEqual(150_000);
  });

  it('bundles the browser entry of the SDK: no ws, no Node modules', () => {
    const app = readFileSync(join(DIST, 'app.js'), 'utf8');
    expect(app).not.toMatch(/require\(["'](ws|node:[a-z]+|zlib|fs|net)["']\)/);
    expect(app).toContain('strata-console'); // the client id the console connects with
  });

  it('keeps the SDK browser entry alone at most 90 KB gzipped', async () => {
    // esbuild resolves the import through the package's exports, as in any web app.
    const result = await build({ stdin: { contents: "export * from '@strata/client/browser';", resolveDir: __dirname }, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', tsconfigRaw: {} });
    const size = gzipped(result.outputFiles[0]!.contents);
    expect(size).toBeGreaterThan(20_000);
    expect(size).toBeLessThanOrEqual(90_000);
  });
});
