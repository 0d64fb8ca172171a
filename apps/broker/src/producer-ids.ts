/**
 * ProducerIdManager: hands out producer ids that are unique for the life of the data folder and
 * that no client can guess.
 *
 * Uniqueness: ids come from a counter reserved in blocks of 1,000; `producer-ids.json` records
 * the end of the last reserved block (written atomically before any id of a block is handed out),
 * so the counter never repeats across restarts, even after a crash. (A cluster allocates blocks
 * through etcd instead: see BlockSource.)
 *
 * Unguessability: the id handed out is the counter passed through a keyed permutation of
 * [0, 2^52) — a four-round Feistel network whose round function is HMAC-SHA-256 under a random
 * 256-bit key kept with the counter — so ids are unique (a permutation is one-to-one) but look
 * random. Sequential ids let any client fence another application's idempotent producer by
 * guessing its id and sending one batch with epoch + 1.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from './util/fs-io';

const BLOCK = 1000;
const MAX_EPOCH = 32767;
const HALF_BITS = 26;
const HALF = 2 ** HALF_BITS;
const ROUNDS = 4;

/** Where blocks of counter values come from: a file (one broker) or etcd (a cluster). */
export interface BlockSource {
  /** Loads the permutation key (creating it once) and the counter position. */
  load(): Promise<{ key: Buffer }>;
  /** Reserves the next block; resolves with its first counter value. Throws when it cannot. */
  reserve(size: number): Promise<number>;
}

/** Blocks reserved in `<data.dir>/producer-ids.json`. */
export class FileBlockSource implements BlockSource {
  private readonly path: string;
  private reservedUpTo = 0;
  private key: Buffer | null = null;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'producer-ids.json');
  }

  async load(): Promise<{ key: Buffer }> {
    const raw = await readFileIfExists(this.path);
    const parsed = raw ? (JSON.parse(raw.toString('utf8')) as { reservedUpTo: number; key?: string }) : { reservedUpTo: 0 }; // our own file, written atomically
    this.reservedUpTo = parsed.reservedUpTo;
    if (parsed.key) this.key = Buffer.from(parsed.key, 'base64');
    else {
      this.key = randomBytes(32);
      await this.persist(this.reservedUpTo);
    }
    return { key: this.key };
  }

  async reserve(size: number): Promise<number> {
    const start = this.reservedUpTo;
    await this.persist(start + size);
    this.reservedUpTo = start + size;
    return start;
  }

  private async persist(reservedUpTo: number): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify({ reservedUpTo, key: this.key!.toString('base64') }) + '\n');
  }
}

export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;
  private key: Buffer | null = null;

  constructor(private readonly source: BlockSource) {}

  async load(): Promise<void> {
    this.key = (await this.source.load()).key;
  }

  /** A new producer id with epoch 0. */
  async newProducer(): Promise<{ producerId: number; producerEpoch: number }> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => (this.reserving = null));
      await this.reserving;
    }
    return { producerId: this.permute(this.next++), producerEpoch: 0 };
  }

  /** The next epoch of an existing id (fencing older instances); a new id once epochs run out. */
  async bump(producerId: number, producerEpoch: number): Promise<{ producerId: number; producerEpoch: number }> {
    if (!Number.isSafeInteger(producerId) || producerId < 0 || producerId >= HALF * HALF || producerEpoch >= MAX_EPOCH || producerEpoch < 0) return this.newProducer();
    return { producerId, producerEpoch: producerEpoch + 1 };
  }

  private async reserveBlock(): Promise<void> {
    const start = await this.source.reserve(BLOCK);
    this.next = start;
    this.blockEnd = start + BLOCK;
  }

  /** The Feistel permutation of a counter value (< 2^52) under the key. */
  private permute(counter: number): number {
    let left = Math.floor(counter / HALF) % HALF;
    let right = counter % HALF;
    for (let round = 0; round < ROUNDS; round++) {
      const next = (left ^ this.round(round, right)) >>> 0;
      left = right;
      right = next % HALF;
    }
    return left * HALF + right;
  }

  private round(round: number, half: number): number {
    const h = createHmac('sha256', this.key!).update(Buffer.from([round, half >>> 24, (half >>> 16) & 0xff, (half >>> 8) & 0xff, half & 0xff])).digest();
    return h.readUInt32BE(0) % HALF;
  }
}
