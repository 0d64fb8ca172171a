/**
 * Thin promise wrappers over the callback `fs` API. The callback API is used on the data path
 * because it costs less per call than `fs.promises` FileHandles; every call still runs on libuv's
 * thread pool, so the event loop never blocks on disk.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

export function openFile(path: string, flags: string | number, mode = 0o644): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * Writes all of `buffers` at `position`, looping over short writes. One promise per call (no
 * async function around it): a write per batch per partition is the broker's hottest I/O path.
 */
export function writevAll(fd: number, buffers: Uint8Array[], position: number): Promise<number> {
  let total = 0;
  for (const b of buffers) total += b.length;
  return new Promise((resolve, reject) => {
    let written = 0;
    let calls = 0;
    const done = (err: NodeJS.ErrnoException | null, n: number) => {
      if (err) return reject(err);
      if (n === 0 && calls > 1) return reject(Object.assign(new Error('write made no progress'), { code: 'EIO' }));
      written += n;
      if (written >= total) return resolve(written);
      // Short write (rare: signals, full disk). Continue with what is left.
      calls++;
      fs.writev(fd, unwritten(buffers, written) as NodeJS.ArrayBufferView[], position + written, done);
    };
    calls++;
    fs.writev(fd, buffers as NodeJS.ArrayBufferView[], position, done);
  });
}

/**
 * Writes all of `buffers` at `position` synchronously, looping over short writes: only for small
 * appends under the InlineWrites policy (storage/inline-writes.ts).
 */
export function writevAllSync(fd: number, buffers: Uint8Array[], position: number): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  let written = fs.writevSync(fd, buffers as NodeJS.ArrayBufferView[], position);
  while (written < total) {
    const rest = unwritten(buffers, written);
    const n = fs.writevSync(fd, rest as NodeJS.ArrayBufferView[], position + written);
    if (n === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    written += n;
  }
  return written;
}

/** A buffer of `length` bytes with arbitrary contents (a pool's acquire, or Buffer.allocUnsafe). */
export type Allocate = (length: number) => Buffer;

/**
 * Reads up to `length` bytes at `position` into a new buffer (from `alloc` when given); returns
 * the bytes actually read.
 */
export function readAt(fd: number, length: number, position: number, alloc: Allocate = Buffer.allocUnsafe): Promise<Buffer> {
  const buf = alloc(length);
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n === length ? buf : buf.subarray(0, n)))),
  );
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function ftruncate(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, length, (err) => (err ? reject(err) : resolve())));
}

export function fstatSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
}

/** fsyncs a directory so that renames and creations inside it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await openFile(dir, fs.constants.O_RDONLY);
  try {
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    await closeFile(fd);
  }
}

/**
 * Replaces `path` atomically: write a temp file, fsync it, rename over the target, fsync the
 * directory. After a crash the file holds either the old or the new content, never a mix.
 */
let tmpCounter = 0;

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  // A name of its own per write: concurrent writers of one file never rename each other's temp
  // file (the last rename wins; start-up removes temp files a crash left behind).
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  const fd = await openFile(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await writevAll(fd, [bytes], 0);
    await fdatasync(fd);
  } finally {
    await closeFile(fd);
  }
  await fs.promises.rename(tmp, path);
  await fsyncDir(dirname(path));
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export async function readFileIfExists(path: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function removeIfExists(path: string): Promise<void> {
  await fs.promises.rm(path, { force: true, recursive: true });
}

/** What is left of `buffers` after the first `written` bytes went out (views, no copies). */
export function unwritten(buffers: readonly Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  const rest: Uint8Array[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
