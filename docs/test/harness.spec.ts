/**
 * The harness itself: it must find blocks where they are, and fail, naming the right line, when an
 * example is wrong. Synthetic pages, a real broker.
 */
import { resolve } from 'node:path';
import { codeBlocks, type CodeBlock } from './harness/markdown';
import { Page } from './harness/page';
import { killAll } from './harness/processes';
import { classify, runShellBlock, shellCommands } from './harness/sh-runner';
import { runProgram } from './harness/ts-runner';
import { typeCheckBlocks } from './harness/type-check';

const REPO_ROOT = resolve(__dirname, '..', '..');

function block(lang: string, code: string, line = 10): CodeBlock {
  return { file: 'docs/example.md', line, firstCodeLine: line + 1, lang, meta: [], code };
}

describe('codeBlocks', () => {
  it('finds fenced blocks with their language, meta and lines', () => {
    const md = ['# Title', '', '```ts jest', 'const a = 1;', '```', '', '  ~~~~sh', '  echo "```"', '  ~~~~', '```', 'output', '```'].join('\n');
    expect(codeBlocks(md, 'x.md')).toEqual([
      { file: 'x.md', line: 3, firstCodeLine: 4, lang: 'ts', meta: ['jest'], code: 'const a = 1;\n' },
      { file: 'x.md', line: 7, firstCodeLine: 8, lang: 'sh', meta: [], code: 'echo "```"\n' },
      { file: 'x.md', line: 10, firstCodeLine: 11, lang: '', meta: [], code: 'output\n' },
    ]);
  });
});

describe('shell commands', () => {
  it('groups continuation lines, quotes, heredocs and compound commands into one command', () => {
    const b = block('sh', ["echo 'a", "b'", 'ls \\', '  -la', 'cat <<EOF', 'text', 'EOF', 'case $? in', '  0) echo ok ;;', 'esac', '# comment', ''].join('\n'));
    expect(shellCommands(b).map((c) => [c.line, c.text.split('\n').length])).toEqual([
      [11, 2],
      [13, 2],
      [15, 3],
      [18, 3],
    ]);
  });

  it('classifies install and long-running commands', () => {
    expect(classify('npm ci && npm start')).toBe('install');
    expect(classify('npm install @strata/client')).toBe('install');
    expect(classify('STRATA_PORT=9093 npx strata-broker --durability async')).toBe('broker');
    expect(classify('strata-broker --help')).toBe('run');
    expect(classify('npm start')).toBe('npm-start');
    expect(classify('strata consume t --from-beginning --follow')).toBe('follow');
    expect(classify('strata consume t -f -n 3')).toBe('run');
    expect(classify('strata consume t --from-beginning')).toBe('run');
  });
});

describe('type-checking', () => {
  it('reports a type error at its line in the Markdown file', () => {
    const bad = block('ts', "import { Strata } from '@strata/client';\n\nconst s: Strata = 'not a client';\nconsole.log(s);\n", 40);
    const good = block('ts', "import { Strata } from '@strata/client';\n\nconsole.log(new Strata({ brokers: ['ws://127.0.0.1:9092'] }).clientId);\n", 60);
    const errors = typeCheckBlocks(REPO_ROOT, [bad, good]);
    expect(errors.get(good)).toEqual([]);
    expect(errors.get(bad)).toEqual([expect.stringMatching(/^docs\/example\.md:43:7 - error TS2322: /)]);
  });
});

describe('running examples', () => {
  let page: Page;

  beforeAll(async () => {
    page = await Page.open(REPO_ROOT, 'docs/example.md');
  });

  afterAll(async () => {
    await killAll();
    await page.close();
  });

  it('runs a program against the page broker (the docs address rewritten)', async () => {
    const program = block(
      'ts',
      "import { Strata } from '@strata/client';\nconst admin = new Strata({ brokers: ['ws://127.0.0.1:9092'] }).admin();\nawait admin.connect();\nawait admin.createTopics({ topics: [{ topic: 'from-a-program' }] });\nawait admin.disconnect();\n",
    );
    await runProgram(page, program);
    await runShellBlock(page, block('sh', 'strata topics describe from-a-program\n'));
  });

  it('fails a program that throws, naming the Markdown line', async () => {
    const program = block('ts', "const n: number = 1;\n\nif (n === 1) throw new Error('broken example');\n", 20);
    await expect(runProgram(page, program)).rejects.toThrow(/docs\/example\.md:20: the program exited with 1[\s\S]*broken example[\s\S]*docs\/example\.md:23/);
  });

  it('fails a shell block at the first failing command, naming its line', async () => {
    const sh = block('sh', 'echo one\nstrata topics describe no-such-topic\necho never\n', 30);
    await expect(runShellBlock(page, sh)).rejects.toThrow(/docs\/example\.md:32: `strata topics describe no-such-topic` exited with 1/);
  });

  it('lets a command fail when the next one inspects $?', async () => {
    await runShellBlock(page, block('sh', 'strata topics describe no-such-topic 2> /dev/null\ncase $? in\n  1) echo "no such topic" ;;\n  *) exit 1 ;;\nesac\n'));
  });

  it('starts and stops a broker command, and fails a --follow consumer that prints nothing', async () => {
    await runShellBlock(page, block('sh', 'strata-broker --port 9092\nstrata topics create followed\n'));
    await expect(runShellBlock(page, block('sh', 'strata consume followed --follow\n', 50))).rejects.toThrow(/docs\/example\.md:51: .*must print a record/);
  });
});
