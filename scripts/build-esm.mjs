#!/usr/bin/env node
// Builds a package's ES module copy into dist/esm (for bundlers, which pick it through the
// `module` export condition and can then drop unused code; Node keeps loading the CommonJS build,
// so one process never holds two copies of a package). Usage, from the package folder:
//   node ../../scripts/build-esm.mjs
// 1. tsc -p tsconfig.esm.json (ES2022 modules, no declarations: the CommonJS build's .d.ts serve both);
// 2. relative import specifiers get their file extension ('./x' -> './x.js', './dir' -> './dir/index.js'),
//    as ESM resolution wants (bundlers accept both);
// 3. protobufjs' generated CommonJS module (packages/protocol) is wrapped as ESM;
// 4. dist/esm/package.json says "type": "module".
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const pkg = process.cwd();
const out = join(pkg, 'dist', 'esm');
const require = createRequire(join(pkg, 'package.json'));
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.esm.json'], { stdio: 'inherit' });

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

function withExtension(from, spec) {
  const base = resolve(dirname(from), spec);
  if (existsSync(`${base}.js`)) return `${spec}.js`;
  if (existsSync(base) && statSync(base).isDirectory() && existsSync(join(base, 'index.js'))) return `${spec}/index.js`;
  throw new Error(`${from}: cannot resolve ${spec}`);
}

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;

// The generated protobufjs module is CommonJS (`module.exports = $root`): as ESM it imports
// protobufjs/minimal (CommonJS: its default export is module.exports) and exports `strata`.
const generated = join(out, 'generated', 'messages.js');
const generatedSource = join(pkg, 'src', 'generated', 'messages.js');
if (existsSync(generatedSource)) {
  mkdirSync(dirname(generated), { recursive: true });
  const cjs = readFileSync(generatedSource, 'utf8');
  const esm = cjs
    .replace('"use strict";', '')
    .replace('var $protobuf = require("protobufjs/minimal");', 'import $protobuf from "protobufjs/minimal.js";')
    .replace(/module\.exports = \$root;\s*$/, 'export const strata = $root.strata;\nexport default $root;\n');
  if (esm.includes('require(') || esm.includes('module.exports')) throw new Error('unexpected shape of src/generated/messages.js');
  writeFileSync(generated, esm);
}

for (const file of files(out)) {
  const code = readFileSync(file, 'utf8');
  const fixed = code.replace(SPECIFIER, (_m, head, quote, spec) => `${head}${quote}${spec.endsWith('.js') ? spec : withExtension(file, spec)}${quote}`);
  if (fixed !== code) writeFileSync(file, fixed);
}
writeFileSync(join(out, 'package.json'), '{ "type": "module", "sideEffects": false }\n');
