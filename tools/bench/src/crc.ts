/**
 * `npm run crc -w @strata/bench`: CRC-32C throughput of the implementations Strata can use, per
 * input size — the portable `crc-32/crc32c` (what browsers and platforms without a binary run),
 * the native `@node-rs/crc32` (installed by the broker and the SDK's Node entry), and the
 * dispatching `crc32c` of @strata/protocol (portable below 1 KiB, native from 1 KiB) — so the
 * 1 KiB threshold can be checked on any machine. Median GB/s of `--runs` runs.
 */
import { parseArgs } from 'node:util';
import { crc32c as dispatching, useNativeCrc32c } from '@strata/protocol';
import { fmt, median } from './stats';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64,256,1024,4096,16384,65536,1048576' },
    runs: { type: 'string', default: '5' },
    'bytes-per-run': { type: 'string', default: '268435456' },
  },
});

type Crc = (bytes: Uint8Array) => number;

function loadNative(): Crc | null {
  try {
    // Optional dependency: absent where no prebuilt binary exists.
    return (require('@node-rs/crc32') as { crc32c: Crc }).crc32c;
  } catch {
    return null;
  }
}

/** GB/s of `fn` over `total` bytes in inputs of `size` bytes. */
function gbPerSecond(fn: Crc, size: number, total: number): number {
  const input = new Uint8Array(size);
  for (let i = 0; i < size; i++) input[i] = (i * 131 + 17) & 0xff;
  const calls = Math.max(1, Math.floor(total / size));
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink ^= fn(input);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink === 0x7fffffff) process.stdout.write(''); // keeps the result observable
  return (calls * size) / seconds / 1e9;
}

function main(): void {
  const sizes = args.sizes.split(',').map(Number);
  const runs = Number(args.runs);
  const total = Number(args['bytes-per-run']);
  const native = loadNative();
  const head = ['implementation', ...sizes.map((s) => (s >= 1024 ? `${s / 1024} KiB` : `${s} B`))];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  const row = (name: string, fn: Crc): void => {
    gbPerSecond(fn, 4096, 64 << 20); // warm-up
    const cells = sizes.map((size) => fmt(median(Array.from({ length: runs }, () => gbPerSecond(fn, size, total))), 2));
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  };
  // Until useNativeCrc32c is called, @strata/protocol's crc32c is the portable crc-32/crc32c.
  row('crc-32/crc32c (portable)', (b) => dispatching(b));
  if (native) {
    row('@node-rs/crc32 (native)', native);
    useNativeCrc32c(native);
    row('@strata/protocol crc32c (portable < 1 KiB, native from 1 KiB)', (b) => dispatching(b));
  }
  console.log(`CRC-32C throughput, GB/s (median of ${runs} runs of ${fmt(total / 2 ** 20)} MiB each), Node ${process.version}`);
  console.log(lines.join('\n'));
  if (!native) console.log('@node-rs/crc32 has no binary for this platform: only the portable implementation runs.');
}

main();
