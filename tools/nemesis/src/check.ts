/**
 * `node tools/nemesis/dist/check.js <history.jsonl> [--json]`: runs the checker again on a saved
 * run (final.json and the data folders beside the history). Exits 1 when it finds an anomaly.
 */
import { parseArgs } from 'node:util';
import { checkHistoryFile, formatVerdict } from './checker/checker';

const { values, positionals } = parseArgs({ strict: true, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
if (positionals.length !== 1) {
  process.stderr.write('usage: node tools/nemesis/dist/check.js <history.jsonl> [--json]\n');
  process.exit(2);
}
const verdict = checkHistoryFile(positionals[0]!);
process.stdout.write((values.json ? JSON.stringify(verdict, null, 2) : formatVerdict(verdict)) + '\n');
process.exit(verdict.valid ? 0 : 1);
