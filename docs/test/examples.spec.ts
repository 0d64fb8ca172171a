/**
 * Every code example in README.md and docs/**\/*.md runs here. The rules (docs/README.md says the
 * same for contributors):
 *
 * - Each page gets its own real broker, started in-process on a free port with a temporary data
 *   folder, and a temporary working folder. Its blocks run in document order against that broker,
 *   as a reader following the page would: a block may use a topic an earlier block of the same page
 *   created (prefer blocks that stand alone). Pages share nothing.
 * - Examples are written against `ws://127.0.0.1:9092`; the harness points that (and
 *   `127.0.0.1:9092`, `localhost:9092`) at the page broker.
 * - ```ts: a complete program (imports, top-level await). Type-checked with the compiler API
 *   against the built packages' declarations (strict), then run with node; it must exit 0 by
 *   itself (see harness/ts-runner.ts). ```ts jest: a jest test file, run with jest.
 * - ```sh: each command run with bash; install lines skipped; long-running commands
 *   (`strata-broker`, `npm start`, `strata consume --follow`) backgrounded, waited for and stopped
 *   with SIGTERM, expecting exit 0 (see harness/sh-runner.ts).
 * - ```json: must parse.
 * - Unlabeled blocks, ```text (output samples) and ```console (transcripts of interactive
 *   sessions) are not run. Any other label fails: label a block ts, sh or json so it runs, or leave
 *   it unlabeled if it is output.
 *
 * A failure names the block as `file.md:line`.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { documentationBlocks, type CodeBlock } from './harness/markdown';
import { Page } from './harness/page';
import { killAll } from './harness/processes';
import { runShellBlock } from './harness/sh-runner';
import { isJestBlock, typeCheckBlocks } from './harness/type-check';
import { runJestFile, runProgram } from './harness/ts-runner';

const REPO_ROOT = resolve(__dirname, '..', '..');

type Kind = 'ts' | 'sh' | 'json' | 'output';

const LANGUAGES: Readonly<Record<string, Kind>> = {
  ts: 'ts',
  typescript: 'ts',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  json: 'json',
  '': 'output',
  text: 'output',
  // A transcript of an interactive session (`$ ` prompts, typed input, ^C): shown, not run.
  console: 'output',
};

function kindOf(block: CodeBlock): Kind | undefined {
  return LANGUAGES[block.lang];
}

const blocks = documentationBlocks(REPO_ROOT);
const pages = [...new Set(blocks.map((b) => b.file))];
const isRunnable = (b: CodeBlock): boolean => kindOf(b) !== 'output' && kindOf(b) !== undefined;

let typeErrors: Map<CodeBlock, string[]> | undefined;
/** Type errors of `block`; the first call type-checks every ts block of the docs at once. */
function typeErrorsOf(block: CodeBlock): string[] {
  typeErrors ??= typeCheckBlocks(
    REPO_ROOT,
    blocks.filter((b) => kindOf(b) === 'ts'),
  );
  return typeErrors.get(block) ?? [];
}

afterAll(() => killAll());

it('finds the documentation and its examples', () => {
  expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/getting-started.md', 'docs/sdk.md']));
  expect(blocks.filter((b) => kindOf(b) === 'ts').length).toBeGreaterThan(10);
  expect(blocks.filter((b) => kindOf(b) === 'sh').length).toBeGreaterThan(3);
});

it('labels every block with a language the harness runs (ts, sh, json) or none (output)', () => {
  const unknown = blocks.filter((b) => kindOf(b) === undefined).map((b) => `${b.file}:${b.line}: \`\`\`${b.lang}`);
  expect(unknown).toEqual([]);
});

describe.each(pages.filter((file) => blocks.some((b) => b.file === file && isRunnable(b))))('%s', (file) => {
  const runnable = blocks.filter((b) => b.file === file && isRunnable(b));
  let page: Page | undefined;

  beforeAll(async () => {
    if (runnable.some((b) => kindOf(b) !== 'json')) page = await Page.open(REPO_ROOT, file);
  });

  afterAll(async () => {
    await killAll();
    await page?.close();
  });

  const title = (b: CodeBlock): string => `${b.file}:${b.line} ${[b.lang, ...b.meta].join(' ')}`;

  it.each(runnable.map((b) => [title(b), b] as const))('%s', async (_title, block) => {
    switch (kindOf(block)) {
      case 'json':
        try {
          JSON.parse(block.code);
        } catch (error) {
          throw new Error(`${block.file}:${block.line}: the JSON does not parse: ${(error as Error).message}`);
        }
        return;
      case 'ts': {
        const errors = typeErrorsOf(block);
        if (errors.length > 0) throw new Error(`${block.file}:${block.line}: the example does not type-check:\n${errors.join('\n')}`);
        if (isJestBlock(block)) await runJestFile(page!, block);
        else await runProgram(page!, block);
        return;
      }
      case 'sh':
        await runShellBlock(page!, block);
        return;
      default:
        throw new Error(`${block.file}:${block.line}: not a runnable block`);
    }
  });
});

it('README.md opens with exactly the two set-up commands CI verifies', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const first = blocks.find((b) => b.file === 'README.md');
  expect(first?.lang).toBe('sh');
  const commands = first!.code.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l.length > 0);
  expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
  expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('## '));
});
