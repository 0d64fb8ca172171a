/**
 * Runs TypeScript examples. A ```ts block is a complete program: it is transpiled (ts.transpileModule)
 * to an ES module and run with `node` in the page's working folder, importing @strata/* from the
 * repository's node_modules like an installed package. It must exit with code 0 by itself
 * (disconnect its clients, close its brokers) within the deadline.
 *
 * A ```ts jest block is a jest test file a user can copy: it is transpiled to CommonJS and run by
 * jest in a child process; every test in it must pass.
 *
 * Node 20 runs with --experimental-websocket so that examples of the browser entry find a global
 * WebSocket, as in a browser (Node >= 22 has it by default).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './markdown';
import type { Page } from './page';
import { Child } from './processes';
import { blockSlug } from './type-check';

export const PROGRAM_DEADLINE_MS = 60_000;

const NODE_FLAGS = ['--enable-source-maps', ...(process.allowedNodeEnvironmentFlags.has('--experimental-websocket') && !('WebSocket' in globalThis) ? ['--experimental-websocket'] : [])];

/** Runs a ```ts program block; rejects with its location, exit status and output unless it exits 0. */
export async function runProgram(page: Page, block: CodeBlock): Promise<void> {
  const slug = blockSlug(block);
  const file = join(page.examplesDir, `${slug}.mjs`);
  await writeFile(file, transpile(page.rewriteUrls(block.code), `${slug}.mts`, ts.ModuleKind.ESNext));
  const child = new Child(process.execPath, [...NODE_FLAGS, file], { cwd: page.workDir, env: page.env() });
  const r = await child.wait(PROGRAM_DEADLINE_MS, `${where(block)}: the program`);
  if (r.code !== 0) throw new Error(`${where(block)}: the program exited with ${r.code ?? r.signal}\n${mapLines(child.output(), slug, block)}`);
}

/** Runs a ```ts jest block with jest; rejects unless every test passes. */
export async function runJestFile(page: Page, block: CodeBlock): Promise<void> {
  const slug = blockSlug(block);
  const file = join(page.examplesDir, `${slug}.test.js`);
  await writeFile(file, transpile(page.rewriteUrls(block.code), `${slug}.ts`, ts.ModuleKind.CommonJS));
  const jest = join(page.repoRoot, 'node_modules', 'jest', 'bin', 'jest.js');
  const config = JSON.stringify({ rootDir: page.examplesDir, testEnvironment: 'node', transform: {}, cacheDirectory: join(page.root, 'jest-cache') });
  const args = [...NODE_FLAGS, jest, '--config', config, '--ci', '--watchman=false', '--colors=false', '--runTestsByPath', file];
  const child = new Child(process.execPath, args, { cwd: page.workDir, env: page.env() });
  const r = await child.wait(PROGRAM_DEADLINE_MS, `${where(block)}: jest`);
  if (r.code !== 0) throw new Error(`${where(block)}: jest exited with ${r.code ?? r.signal}\n${mapLines(child.output(), slug, block)}`);
}

function transpile(code: string, fileName: string, module: ts.ModuleKind): string {
  const out = ts.transpileModule(code, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module, esModuleInterop: true, inlineSourceMap: true, inlineSources: true },
  });
  const errors = out.diagnostics ?? [];
  if (errors.length > 0) throw new Error(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  return out.outputText;
}

export function where(block: CodeBlock): string {
  return `${block.file}:${block.line}`;
}

/** Rewrites stack-trace locations `.../<slug>.mts:N:C` (through the source map) to `file.md:line:C`. */
function mapLines(output: string, slug: string, block: CodeBlock): string {
  const escaped = slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return output.replace(new RegExp(`(?:file://)?[^\\s()]*${escaped}\\.(?:mts|ts|mjs|test\\.js):(\\d+)`, 'g'), (_m, n: string) => `${block.file}:${block.firstCodeLine + Number(n) - 1}`);
}
