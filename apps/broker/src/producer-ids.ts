/**
 * ProducerIdManager: hands out producer ids that are unique for the life of the data folder.
 * Ids are reserved in blocks of 1,000; `producer-ids.json` records the end of the last reserved
 * block (written atomically before any id of a block is handed out), so ids never repeat across
 * restarts, even after a crash.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from './util/fs-io';

const BLOCK = 1000;
const MAX_EPOCH = 32767;

export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'producer-ids.json');
  }

  async load(): Promise<void> {
    const raw = await readFileIfExists(this.path);
    const reserved = raw ? (JSON.parse(raw.toString('utf8')) as { reservedUpTo: number }).reservedUpTo : 0; // our own file, written atomically
    this.next = this.blockEnd = reserved;
  }

  /** A new producer id with epoch 0. */
  async newProducer(): Promise<{ producerId: number; producerEpoch: number }> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => (this.reserving = null));
      await this.reserving;
    }
    return { producerId: this.next++, producerEpoch: 0 };
  }

  /** The next epoch of an existing id (fencing older instances); a new id once epochs run out. */
  async bump(producerId: number, producerEpoch: number): Promise<{ producerId: number; producerEpoch: number }> {
    if (producerId < 0 || producerId >= this.blockEnd || producerEpoch >= MAX_EPOCH || producerEpoch < 0) return this.newProducer();
    return { producerId, producerEpoch: producerEpoch + 1 };
  }

  private async reserveBlock(): Promise<void> {
    const end = this.blockEnd + BLOCK;
    await writeFileAtomic(this.path, JSON.stringify({ reservedUpTo: end }) + '\n');
    this.next = Math.max(this.next, this.blockEnd);
    this.blockEnd = end;
  }
}
