/**
 * Installs the native CRC-32C (@node-rs/crc32, prebuilt binaries) for large inputs. Produced
 * batches are CRC-checked on every append, so this is the broker's main per-byte CPU cost.
 * Platforms without a prebuilt binary keep the portable implementation.
 */
import { useNativeCrc32c } from '@strata/protocol';

let installed: boolean | null = null;

export function installNativeCrc32c(): boolean {
  if (installed !== null) return installed;
  try {
    // A dynamic require: the module is optional at run time (no binary for this platform).
    const { crc32c } = require('@node-rs/crc32') as { crc32c: (bytes: Uint8Array) => number };
    installed = useNativeCrc32c(crc32c);
  } catch {
    installed = false;
  }
  return installed;
}
