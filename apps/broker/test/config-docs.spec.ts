/**
 * Every setting is documented: docs/configuration.md has a row for each broker and topic setting
 * with its default (and, for broker settings, its environment variable).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_SETTINGS, TOPIC_SETTINGS, envName } from '../src';
import { BROKER_VERSION } from '../src/version';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
const rows = doc.split('\n').filter((l) => l.startsWith('| `'));

describe('docs/configuration.md', () => {
  it.each(BROKER_SETTINGS.map((d) => [d.key, d] as const))('documents broker setting %s with its default and environment variable', (key, def) => {
    const row = rows.find((r) => r.startsWith(`| \`${key}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${JSON.stringify(def.default)}\``);
    expect(row).toContain(`\`${envName(key)}\``);
  });

  it.each(TOPIC_SETTINGS.map((d) => [d.key, d] as const))('documents topic setting %s and the broker setting it defaults to', (key, def) => {
    const row = rows.find((r) => r.startsWith(`| \`${key}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${def.brokerKey}\``);
  });
});

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(BROKER_VERSION).toBe(pkg.version);
  });
});
