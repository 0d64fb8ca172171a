/** docs/errors.md lists every entry of the error table with its number, name and retriable flag. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allErrors } from '../src';

describe('error table documentation', () => {
  it('has a row in docs/errors.md for every error code', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
    const missing = allErrors()
      .filter((e) => !doc.includes(`| ${e.code} | \`${e.name}\` | ${e.retriable ? 'yes' : 'no'} |`))
      .map((e) => `${e.code} ${e.name}`);
    expect(missing).toEqual([]);
  });
});
