/**
 * The option tables of the SDK pages state the defaults the SDK actually has: each table is read
 * from its section and compared with the exported defaults object (CLIENT_DEFAULTS,
 * CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, RETRY_DEFAULTS). A changed default fails here until the
 * docs say it too.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLIENT_DEFAULTS, CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, RETRY_DEFAULTS } from '@strata/client';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** The text of the section under the first heading of `file` that starts with `heading`, up to the next heading. */
function section(file: string, heading: string): string {
  const text = readFileSync(join(REPO_ROOT, 'docs', file), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{2,6} /.test(l) && l.replace(/^#+ /, '').startsWith(heading));
  if (start < 0) throw new Error(`docs/${file} has no section "${heading}"`);
  const end = lines.findIndex((l, i) => i > start && /^#{1,6} /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** `option -> default cell` of the tables in `text` (rows that start with a backticked option name). */
function optionRows(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^\| `(\w+)` \| ([^|]*) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

/** How a default value is written in the tables: `30000`, `'warn'`, `true`, `null`. */
function written(value: unknown): string {
  return typeof value === 'string' ? `\`'${value}'\`` : `\`${String(value)}\``;
}

/** Options whose documented default does not start with the actual one, or that have no row when `complete`. */
function mismatches(defaults: object, rows: ReadonlyMap<string, string>, complete: boolean): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(defaults)) {
    if (typeof value === 'object' && value !== null) continue; // nested defaults (retry) are checked on their own
    const cell = rows.get(name);
    if (cell === undefined) {
      if (complete) problems.push(`${name}: no row (default ${written(value)})`);
    } else if (!cell.startsWith(written(value))) {
      problems.push(`${name}: documented ${cell}, actual ${written(value)}`);
    }
  }
  return problems;
}

describe('documented defaults', () => {
  it('sdk.md lists every client option with its default', () => {
    expect(mismatches(CLIENT_DEFAULTS, optionRows(section('sdk.md', 'Options')), true)).toEqual([]);
  });

  it('sdk.md states the retry defaults', () => {
    const text = section('sdk.md', 'Options');
    const missing = Object.entries(RETRY_DEFAULTS).filter(([name, value]) => !text.includes(`${name}: ${String(value)}`));
    expect(missing).toEqual([]);
  });

  it("sdk.md states the defaults of the consumer options it lists", () => {
    const rows = optionRows(section('sdk.md', 'Options (`strata.consumer(options)`)'));
    expect(rows.size).toBeGreaterThan(5);
    expect(mismatches(CONSUMER_DEFAULTS, rows, false)).toEqual([]);
  });

  it('producer.md lists every producer option with its default', () => {
    const rows = optionRows(section('producer.md', 'Options'));
    // `retries` is documented in the `retry` row (unlimited, bounded by deliveryTimeoutMs).
    const { retries: _retries, ...defaults } = PRODUCER_DEFAULTS;
    expect(mismatches(defaults, rows, true)).toEqual([]);
  });
});
