#!/usr/bin/env node
// Builds the console into dist/: index.html, styles.css and app.js, one bundle of the app, Preact
// and the SDK's browser entry (resolved through @strata/client's "browser" export condition, like any
// web app gets it). Minified, no source maps: dist/ is what the broker serves.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [join(root, 'src', 'main.tsx')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  // The repository's tsconfig maps @strata/* to their TypeScript sources (the Node entry); the
  // bundle takes the packages as published instead, so that it measures what a web app ships.
  tsconfigRaw: { compilerOptions: { jsx: 'react-jsx', jsxImportSource: 'preact', strict: true } },
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'styles.css']) copyFileSync(join(root, 'src', file), join(dist, file));

const gz = (file) => gzipSync(readFileSync(join(dist, file))).length;
process.stdout.write(`console built in ${dist}: app.js ${gz('app.js')} B gzipped, styles.css ${gz('styles.css')} B, index.html ${gz('index.html')} B\n`);
