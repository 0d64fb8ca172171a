/**
 * The reference pages stay complete: docs/errors.md has a row for every code of the shared error
 * table and no row for a code that does not exist; docs/cli.md mentions every command and option
 * that the built `strata` command's --help lists; relative links between pages resolve.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { allErrors } from '@strata/protocol';
import { markdownFiles } from './harness/markdown';

const REPO_ROOT = resolve(__dirname, '..', '..');
const CLI = join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js');

function page(name: string): string {
  const path = join(REPO_ROOT, 'docs', name);
  if (!existsSync(path)) throw new Error(`docs/${name} does not exist`);
  return readFileSync(path, 'utf8');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(text: string): Set<string> {
  const withoutCode = text.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...withoutCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('links', () => {
  it('every relative link of README.md and docs/ points to a file (and heading) that exists', () => {
    const broken: string[] = [];
    for (const file of markdownFiles(REPO_ROOT)) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      for (const m of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/\]\(([^)\s]+)\)/g)) {
        const [target = '', anchor] = m[1]!.split('#');
        if (/^[a-z]+:/i.test(target)) continue; // a URL
        const path = target === '' ? join(REPO_ROOT, file) : join(REPO_ROOT, dirname(file), target);
        if (!existsSync(path)) broken.push(`${file}: ${m[1]} (no such file)`);
        else if (anchor !== undefined && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(anchor)) broken.push(`${file}: ${m[1]} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/errors.md', () => {
  it('has a row (code, name, retriable) for every error of the shared table', () => {
    const doc = page('errors.md');
    const missing = allErrors()
      .filter((e) => !doc.includes(`| ${e.code} | \`${e.name}\` | ${e.retriable ? 'yes' : 'no'} |`))
      .map((e) => `${e.code} ${e.name} (retriable: ${e.retriable})`);
    expect(missing).toEqual([]);
  });

  it('has no row for an error the table does not have', () => {
    const known = new Set(allErrors().map((e) => `${e.code} ${e.name}`));
    const rows = [...page('errors.md').matchAll(/^\|\s*(-?\d+)\s*\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => !known.has(r))).toEqual([]);
  });
});

interface HelpPage {
  /** Command path without `strata`, e.g. ['topics', 'create']. */
  path: string[];
  subcommands: string[];
  /** Long options of this command (not the global ones repeated under "Global Options"). */
  options: string[];
}

function help(path: readonly string[]): HelpPage {
  const r = spawnSync(process.execPath, [CLI, ...path, '--help'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`strata ${path.join(' ')} --help exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const sections = new Map<string, string[]>();
  let current = '';
  for (const line of r.stdout.split('\n')) {
    const heading = /^([A-Z][A-Za-z ]*):$/.exec(line);
    if (heading) current = heading[1]!;
    else sections.set(current, [...(sections.get(current) ?? []), line]);
  }
  const entries = (name: string): string[] => (sections.get(name) ?? []).filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim());
  return {
    path: [...path],
    subcommands: entries('Commands')
      .map((l) => l.split(/\s+/)[0]!.split('|')[0]!)
      .filter((c) => c !== 'help'),
    options: entries('Options').flatMap((l) => [...l.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]).slice(0, 1)),
  };
}

/** Every command of the CLI, depth first, starting at the root. */
function allHelpPages(): HelpPage[] {
  const pages: HelpPage[] = [];
  const visit = (path: string[]): void => {
    const p = help(path);
    pages.push(p);
    for (const sub of p.subcommands) visit([...path, sub]);
  };
  visit([]);
  return pages;
}

describe('docs/cli.md', () => {
  const pages = allHelpPages();

  it('the CLI has the commands the docs expect to find', () => {
    expect(pages.map((p) => p.path.join(' '))).toEqual(expect.arrayContaining(['topics create', 'produce', 'consume']));
  });

  it.each(pages.filter((p) => p.path.length > 0).map((p) => [p.path.join(' '), p] as const))('mentions `strata %s` and each of its options', (_name, p) => {
    const doc = page('cli.md');
    expect(doc).toContain(`strata ${p.path.join(' ')}`);
    expect(p.options.filter((o) => o !== '--help' && !doc.includes(o))).toEqual([]);
  });

  it('mentions every global option', () => {
    const doc = page('cli.md');
    const root = pages.find((p) => p.path.length === 0)!;
    expect(root.options.filter((o) => !['--help', '--version'].includes(o) && !doc.includes(o))).toEqual([]);
  });
});
