/**
 * CRC-32C (Castagnoli), the checksum of record batches. The portable implementation is the
 * `crc32c` export of the `crc-32` package (its default export is the IEEE CRC-32, a different
 * checksum). In Node, the broker and the SDK's Node entry install a native implementation for
 * large inputs (useNativeCrc32c; browsers keep the portable one): measured here, @node-rs/crc32
 * runs at ~4.5 GB/s on 1 MiB batches against ~1.1 GB/s for crc-32, but its call overhead loses
 * below ~1 KiB.
 */
import { buf as crc32cBuf } from 'crc-32/crc32c';

type Crc32cFn = (bytes: Uint8Array) => number;

let native: Crc32cFn | null = null;
let nativeMinBytes = Number.MAX_SAFE_INTEGER;

/**
 * Uses `fn` (which must compute CRC-32C, unsigned) for inputs of at least `minBytes`; smaller
 * inputs keep the portable implementation. Checked against the portable result before use.
 */
export function useNativeCrc32c(fn: Crc32cFn, minBytes = 1024): boolean {
  const probe = new Uint8Array(4096);
  for (let i = 0; i < probe.length; i++) probe[i] = (i * 31 + 7) & 0xff;
  if (fn(probe) >>> 0 !== crc32cBuf(probe) >>> 0) return false;
  native = fn;
  nativeMinBytes = minBytes;
  return true;
}

/** CRC-32C of `bytes[start, end)` as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  if (native !== null && view.length >= nativeMinBytes) return native(view) >>> 0;
  return crc32cBuf(view) >>> 0;
}
