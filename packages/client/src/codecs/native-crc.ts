/**
 * The native CRC-32C (@node-rs/crc32, an optional dependency with prebuilt binaries) for record
 * batches in Node: producers compute a CRC over every batch they build and consumers check one
 * over every batch they read, which in JavaScript (crc-32) took 10-27% of a client's CPU. The
 * portable implementation stays for small inputs (the native call costs more below ~1 KiB), for
 * platforms without a binary, and in browsers (the browser entry never imports this file).
 */
import { useNativeCrc32c } from '@strata/protocol';

let installed: boolean | null = null;

/** Installs the native CRC-32C once; false when it is not available here. */
export function installNativeCrc32c(): boolean {
  if (installed !== null) return installed;
  try {
    // A dynamic require: the package is optional (no binary for this platform, or not installed).
    const { crc32c } = require('@node-rs/crc32') as { crc32c: (bytes: Uint8Array) => number };
    installed = useNativeCrc32c(crc32c);
  } catch {
    installed = false;
  }
  return installed;
}
