/**
 * Bounded zstd decompression for validating produced batches. fzstd (pure JavaScript) does the
 * decoding, but it sizes its buffers from the frame header, which a client controls: a header may
 * claim a 2 GB window. So the frames are walked first (RFC 8878: frame header, block headers,
 * optional checksum) and refused unless every frame declares its content size, uses no dictionary,
 * and the content sizes add up to at most `maxBytes`; then each frame is decoded into exactly its
 * declared size and must fill it.
 */
import { decompress } from 'fzstd';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK = 128 * 1024;

export class InvalidZstdError extends Error {}

interface Frame {
  start: number;
  end: number;
  contentSize: number;
}

function u32le(d: Uint8Array, p: number): number {
  return (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
}

function need(d: Uint8Array, p: number, n: number, what: string): void {
  if (p + n > d.length) throw new InvalidZstdError(`zstd data ends inside the ${what}`);
}

/** Walks the frames of `data`; throws InvalidZstdError. */
function frames(data: Uint8Array, maxBytes: number): Frame[] {
  const out: Frame[] = [];
  let total = 0;
  let p = 0;
  while (p < data.length) {
    need(data, p, 4, 'frame magic');
    const magic = u32le(data, p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, p, 8, 'skippable frame header');
      p += 8 + u32le(data, p + 4);
      if (p > data.length) throw new InvalidZstdError('zstd skippable frame runs past the data');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new InvalidZstdError(`not a zstd frame (magic 0x${magic.toString(16)})`);
    const start = p;
    need(data, p, 5, 'frame header');
    const descriptor = data[p + 4]!;
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor >> 5) & 1;
    const checksum = (descriptor >> 2) & 1;
    const dictFlag = descriptor & 3;
    if (descriptor & 0x08) throw new InvalidZstdError('zstd frame header has its reserved bit set');
    if (dictFlag !== 0) throw new InvalidZstdError('zstd frames with a dictionary are not accepted');
    if (fcsFlag === 0 && !singleSegment) throw new InvalidZstdError('zstd frames must declare their content size (compress in one shot, or pledge the size)');
    p += 5;
    let windowSize = 0;
    if (!singleSegment) {
      need(data, p, 1, 'window descriptor');
      const wd = data[p++]!;
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 7);
    }
    const fcsBytes = fcsFlag === 0 ? 1 : 2 ** fcsFlag;
    need(data, p, fcsBytes, 'frame content size');
    let contentSize = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + data[p + i]!;
    if (fcsFlag === 1) contentSize += 256;
    p += fcsBytes;
    total += contentSize;
    if (total > maxBytes || windowSize > maxBytes) {
      throw new InvalidZstdError(`zstd data declares ${Math.max(total, windowSize)} bytes, more than the ${maxBytes} a batch may hold uncompressed`);
    }
    for (;;) {
      need(data, p, 3, 'block header');
      const h = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16);
      const last = h & 1;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw new InvalidZstdError('zstd block of the reserved type');
      if (size > MAX_BLOCK) throw new InvalidZstdError(`zstd block of ${size} bytes is over the 128 KiB limit`);
      p += 3 + (type === 1 ? 1 : size);
      if (p > data.length) throw new InvalidZstdError('zstd block runs past the data');
      if (last) break;
    }
    if (checksum) {
      need(data, p, 4, 'content checksum');
      p += 4;
    }
    out.push({ start, end: p, contentSize });
  }
  return out;
}

/** The decompressed bytes of `data`, at most `maxBytes`. Throws InvalidZstdError. */
export function zstdDecompressBounded(data: Uint8Array, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const frame of frames(data, maxBytes)) {
    let out: Uint8Array;
    try {
      out = decompress(data.subarray(frame.start, frame.end));
    } catch (e) {
      throw new InvalidZstdError(`invalid zstd data: ${(e as Error).message}`);
    }
    if (out.length !== frame.contentSize) throw new InvalidZstdError(`zstd frame decodes to ${out.length} bytes but declares ${frame.contentSize}`);
    parts.push(out);
    total += out.length;
  }
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}
