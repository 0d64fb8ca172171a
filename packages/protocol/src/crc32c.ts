/**
 * CRC-32C (Castagnoli), the checksum of record batches. Uses the `crc32c` export of the `crc-32`
 * package: its default export is the IEEE CRC-32, which is a different checksum.
 */
import { buf as crc32cBuf } from 'crc-32/crc32c';

/** CRC-32C of `bytes[start, end)` as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return crc32cBuf(view) >>> 0;
}
