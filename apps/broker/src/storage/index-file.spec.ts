import * as fs from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/tmp';
import { BLOCK_ENTRIES, CorruptIndexError } from './index-file';
import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

/** Entry i: offset 100 + 3i, position 50i (base offset 100). */
const offsetOf = (i: number) => 100 + 3 * i;
const positionOf = (i: number) => 50 * i;

/** Lets the event loop run until `done` (background file writes complete through it). */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 100_000) throw new Error('gave up waiting');
    await new Promise((r) => setImmediate(r));
  }
}

async function filled(path: string, n: number): Promise<OffsetIndex> {
  const index = new OffsetIndex(path, 100, true);
  for (let i = 0; i < n; i++) index.append(offsetOf(i), positionOf(i));
  await index.flush();
  return index;
}

describe('index files', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('keep a bounded tail in memory however many entries they hold, and look up every entry', async () => {
    const n = 40 * BLOCK_ENTRIES + 17;
    const index = await filled(join(dir, 'a.index'), n);
    expect(index.entries).toBe(n);
    // Two blocks of tail, one cached block, and 8 bytes of summary per block.
    const bound = 3 * BLOCK_ENTRIES * 8 + 2 * 40 * 8;
    expect(index.memoryBytes).toBeLessThanOrEqual(bound);
    for (const i of [0, 1, BLOCK_ENTRIES - 1, BLOCK_ENTRIES, 7 * BLOCK_ENTRIES + 5, n - BLOCK_ENTRIES - 1, n - 2, n - 1]) {
      expect(await index.lookupEntry(offsetOf(i))).toEqual({ offset: offsetOf(i), position: positionOf(i) });
      expect(await index.lookupEntry(offsetOf(i) + 2)).toEqual({ offset: offsetOf(i), position: positionOf(i) });
    }
    expect(await index.lookupEntry(99)).toBeNull();
    expect(index.memoryBytes).toBeLessThanOrEqual(bound);
    const all = await index.allEntries();
    expect(all).toHaveLength(n);
    expect(all[12345 % n]).toEqual({ offset: offsetOf(12345 % n), position: positionOf(12345 % n) });
  });

  it('write themselves out once a block of entries waits, and then let those entries go', async () => {
    const index = new OffsetIndex(join(dir, 'b.index'), 100, true);
    const fileEntries = () => (fs.existsSync(index.path) ? fs.statSync(index.path).size / 8 : 0);
    let most = 0;
    for (let i = 0; i < 20 * BLOCK_ENTRIES; i++) {
      index.append(offsetOf(i), positionOf(i));
      most = Math.max(most, index.memoryBytes);
      // No flush is asked for: a background one started with this block's last entry.
      if ((i + 1) % BLOCK_ENTRIES === 0) await until(() => fileEntries() >= i + 1);
    }
    expect(most).toBeLessThanOrEqual(2 * BLOCK_ENTRIES * 8 + 32 * 8);
  });

  it('truncate into blocks that are only in the file, then take appends and reload intact', async () => {
    const path = join(dir, 'c.index');
    const n = 10 * BLOCK_ENTRIES;
    const index = await filled(path, n);
    const keep = 3 * BLOCK_ENTRIES + 9;
    await index.truncateToPosition(positionOf(keep));
    expect(index.entries).toBe(keep);
    expect(index.lastEntry()).toEqual({ offset: offsetOf(keep - 1), position: positionOf(keep - 1) });
    expect(await index.lookupEntry(offsetOf(keep + 100))).toEqual({ offset: offsetOf(keep - 1), position: positionOf(keep - 1) });
    // An exact block boundary: the new last entry is the last of the block before.
    await index.truncateToOffset(offsetOf(3 * BLOCK_ENTRIES));
    expect(index.lastEntry()).toEqual({ offset: offsetOf(3 * BLOCK_ENTRIES - 1), position: positionOf(3 * BLOCK_ENTRIES - 1) });
    for (let i = 3 * BLOCK_ENTRIES; i < 5 * BLOCK_ENTRIES; i++) index.append(offsetOf(i), positionOf(i) + 1);
    await index.close();

    const reloaded = new OffsetIndex(path, 100, false);
    await reloaded.ensureLoaded();
    const all = await reloaded.allEntries();
    expect(all).toHaveLength(5 * BLOCK_ENTRIES);
    expect(all[3 * BLOCK_ENTRIES - 1]).toEqual({ offset: offsetOf(3 * BLOCK_ENTRIES - 1), position: positionOf(3 * BLOCK_ENTRIES - 1) });
    expect(all[3 * BLOCK_ENTRIES]).toEqual({ offset: offsetOf(3 * BLOCK_ENTRIES), position: positionOf(3 * BLOCK_ENTRIES) + 1 });
    expect(await reloaded.lookupEntry(offsetOf(2 * BLOCK_ENTRIES + 1))).toEqual({ offset: offsetOf(2 * BLOCK_ENTRIES + 1), position: positionOf(2 * BLOCK_ENTRIES + 1) });

    await reloaded.truncateToOffset(0);
    expect(reloaded.entries).toBe(0);
    await reloaded.close();
    expect(fs.statSync(path).size).toBe(0);
  });

  it('find timestamps in blocks that are only in the file', async () => {
    const index = new TimeIndex(join(dir, 'd.timeindex'), 1000, true);
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 6 * BLOCK_ENTRIES; i++) index.append(t0 + 10 * i, 1000 + 2 * i);
    await index.flush();
    expect(await index.lookup(t0)).toBe(1000);
    expect(await index.lookup(t0 + 10 * 300 + 5)).toBe(1000 + 2 * 300);
    expect(await index.lookup(t0 + 10 * 300)).toBe(1000 + 2 * 299);
    await index.truncateToOffset(1000 + 2 * 100);
    expect(index.lastEntry()).toEqual({ timestamp: t0 + 10 * 99, offset: 1000 + 2 * 99 });
  });

  it('refuse a file whose entries are out of order, naming the entry, or whose size is not whole entries', async () => {
    const path = join(dir, 'e.index');
    const bytes = Buffer.alloc(3 * BLOCK_ENTRIES * 8);
    for (let i = 0; i < 3 * BLOCK_ENTRIES; i++) {
      bytes.writeUInt32BE(i === 700 ? 5 : 3 * i, i * 8);
      bytes.writeUInt32BE(50 * i, i * 8 + 4);
    }
    fs.writeFileSync(path, bytes);
    await expect(new OffsetIndex(path, 0, false).ensureLoaded()).rejects.toThrow(new CorruptIndexError(path, 'entry 700 is not after entry 699'));
    fs.writeFileSync(path, bytes.subarray(0, 13));
    await expect(new OffsetIndex(path, 0, false).ensureLoaded()).rejects.toThrow(/size 13 is not a multiple of 8/);
  });
});
