/**
 * Golden-byte fixtures: encodings checked in under test/fixtures so that any change to the wire
 * format shows up as a failing test. To change the format on purpose, run the tests once with
 * STRATA_UPDATE_GOLDEN=1 and commit the new fixtures with a message that says why.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, 'fixtures');

export function toHex(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex');
}

export function readGolden(name: string): Uint8Array {
  return Uint8Array.from(Buffer.from(readFileSync(join(DIR, name), 'utf8').trim(), 'hex'));
}

export function expectGolden(name: string, bytes: Uint8Array): void {
  const file = join(DIR, name);
  if (process.env['STRATA_UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
    if (process.env['CI'] === 'true' && !existsSync(file)) throw new Error(`golden fixture ${name} is missing`);
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, toHex(bytes) + '\n');
  }
  expect(toHex(bytes)).toBe(readFileSync(file, 'utf8').trim());
}
