#!/usr/bin/env node
// Rewrites the two settings tables of docs/configuration.md from the settings tables in code
// (run after `nx run @strata/broker:build`). The prose around the tables is left alone; a test
// (test/config-docs.spec.ts) fails when a setting is missing from the page.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { BROKER_SETTINGS, TOPIC_SETTINGS, envName } = require(join(here, '..', 'dist', 'index.js'));
const path = join(here, '..', '..', '..', 'docs', 'configuration.md');
const esc = (s) => String(s).replace(/\|/g, '\\|');

const broker = [
  '| setting | default | allowed | environment variable | description |',
  '| --- | --- | --- | --- | --- |',
  ...BROKER_SETTINGS.map((d) => `| \`${d.key}\` | \`${JSON.stringify(d.default)}\` | ${esc(d.allowed)} | \`${envName(d.key)}\` | ${esc(d.doc)} |`),
].join('\n');
const topic = [
  '| setting | broker default from | allowed | description |',
  '| --- | --- | --- | --- |',
  ...TOPIC_SETTINGS.map((d) => `| \`${d.key}\` | \`${d.brokerKey}\` | ${esc(d.allowed)} | ${esc(d.doc)} |`),
].join('\n');

function replaceTable(doc, heading, table) {
  const start = doc.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" section in ${path}`);
  const tableStart = doc.indexOf('\n| ', start) + 1;
  let end = tableStart;
  while (end < doc.length && doc.startsWith('|', end)) end = doc.indexOf('\n', end) + 1 || doc.length;
  return doc.slice(0, tableStart) + table + '\n' + doc.slice(end);
}

let doc = readFileSync(path, 'utf8');
doc = replaceTable(doc, '## Broker settings', broker);
doc = replaceTable(doc, '## Topic settings', topic);
writeFileSync(path, doc);
process.stdout.write(`updated ${path}\n`);
