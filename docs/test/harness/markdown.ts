/**
 * Fenced code blocks of Markdown files (CommonMark fences: three or more backticks or tildes,
 * indented by at most three spaces, closed by a fence of the same character at least as long).
 * Line numbers are 1-based, as editors show them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CodeBlock {
  /** Path of the Markdown file relative to the repository root, e.g. `docs/sdk.md`. */
  file: string;
  /** Line of the opening fence. */
  line: number;
  /** Line of the block's first line of code. */
  firstCodeLine: number;
  /** First word of the info string (`ts`, `sh`, `json`), or '' for an unlabeled block. */
  lang: string;
  /** Words after the language (`ts jest` gives ['jest']). */
  meta: string[];
  /** The code, without the fences, ending with a newline unless empty. */
  code: string;
}

const OPENING_FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/;

/** Every fenced block of `text`, in document order. An unclosed fence runs to the end of the file. */
export function codeBlocks(text: string, file: string): CodeBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING_FENCE.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const fence = open[2]!;
    const info = open[3]!.trim().split(/\s+/).filter((w) => w.length > 0);
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !closing.test(lines[j]!); j++) body.push(stripIndent(lines[j]!, indent));
    blocks.push({
      file,
      line: i + 1,
      firstCodeLine: i + 2,
      lang: (info[0] ?? '').toLowerCase(),
      meta: info.slice(1),
      code: body.length === 0 ? '' : `${body.join('\n')}\n`,
    });
    i = j;
  }
  return blocks;
}

function stripIndent(line: string, indent: number): string {
  let n = 0;
  while (n < indent && line[n] === ' ') n++;
  return line.slice(n);
}

/** README.md and every `*.md` under docs/ (node_modules excluded), relative to `root`, sorted. */
export function markdownFiles(root: string): string[] {
  const found: string[] = ['README.md'];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) found.push(relative(root, path));
    }
  };
  walk(join(root, 'docs'));
  return found;
}

/** The code blocks of every documentation file under `root`. */
export function documentationBlocks(root: string): CodeBlock[] {
  return markdownFiles(root).flatMap((file) => codeBlocks(readFileSync(join(root, file), 'utf8'), file));
}
