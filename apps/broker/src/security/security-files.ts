/**
 * Atomic JSON files for the security state kept in data.dir (credentials.json, acls.json): written
 * to a temporary file readable by the broker's user only (mode 0600), fsynced, renamed over the old
 * file, and the folder fsynced, so a crash leaves the old or the new content, never a mix.
 * Writes of one file are serialized by its owner (a promise chain).
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, readFileIfExists } from '../util/fs-io';

let counter = 0;

export async function writeSecretFileAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.${++counter}.tmp`;
  const handle = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + '\n', 'utf8');
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, path);
  await fsyncDir(dirname(path));
}

/** Reads a JSON file written by writeSecretFileAtomic; null when it does not exist. */
export async function readJsonFile(path: string): Promise<unknown> {
  const data = await readFileIfExists(path);
  if (data === null) return null;
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Runs writes one after another (a failed write does not stop the next). */
export class WriteChain {
  private chain: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
