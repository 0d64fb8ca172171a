/**
 * BufferPool: reusable large buffers for the fetch path (segment reads, tail-cache copies and
 * response frames), so that serving a consumer allocates nothing per request once warm.
 *
 * Why: every fetch used to allocate ~1 MiB read chunks and a ~1 MiB frame. V8 counts such
 * ArrayBuffers as external memory and starts a full mark-compact every few tens of MiB of it: at a
 * few hundred MB/s that was a mark-compact every ~100 ms and a quarter of the broker's CPU.
 *
 * Slabs come in power-of-two size classes from MIN_POOLED_BYTES to MAX_POOLED_BYTES; acquire(n)
 * returns a Buffer of exactly n bytes viewing the start of a free slab of the class that holds n
 * (smaller requests get an ordinary allocation; larger ones a fresh slab that is not kept). Free
 * slabs kept are bounded by `maxRetainedBytes`; beyond that a released slab is left to the GC.
 *
 * Invariants: a slab is either free (in `free`) or owned by exactly one holder; release() of a
 * buffer the pool did not hand out, or of one already released, does nothing (ownership is
 * tracked per slab, so a double release can never hand one slab to two holders).
 * The contents of an acquired buffer are arbitrary (like Buffer.allocUnsafe).
 * Single-threaded (event loop).
 */
export const MIN_POOLED_BYTES = 64 * 1024;
export const MAX_POOLED_BYTES = 16 * 1024 * 1024;

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Slabs handed out and not yet released. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private retained = 0;

  constructor(private readonly maxRetainedBytes = 64 * 1024 * 1024) {}

  /** Bytes held in free slabs. */
  get retainedBytes(): number {
    return this.retained;
  }

  /** A buffer of exactly `length` bytes (contents arbitrary); give it back with release(). */
  acquire(length: number): Buffer {
    if (length < MIN_POOLED_BYTES || length > MAX_POOLED_BYTES) return Buffer.allocUnsafeSlow(length);
    const size = classOf(length);
    let slab = this.free.get(size)?.pop();
    if (slab) this.retained -= size;
    else slab = new ArrayBuffer(size);
    this.lent.add(slab);
    return Buffer.from(slab, 0, length);
  }

  /** Gives back a buffer from acquire(); anything else is ignored. */
  release(buffer: Uint8Array): void {
    const slab = buffer.buffer;
    if (!(slab instanceof ArrayBuffer) || !this.lent.has(slab)) return;
    this.lent.delete(slab);
    if (this.retained + slab.byteLength > this.maxRetainedBytes) return;
    let list = this.free.get(slab.byteLength);
    if (!list) this.free.set(slab.byteLength, (list = []));
    list.push(slab);
    this.retained += slab.byteLength;
  }

  /** A lease: buffers taken through it are all given back by one release() call. */
  lease(): BufferLease {
    return new BufferLease(this);
  }
}

/** Buffers a request holds until its response has been encoded. Single use after release(). */
export class BufferLease {
  private held: Uint8Array[] = [];

  constructor(private readonly pool: BufferPool) {}

  /** Same as BufferPool.acquire, remembered for release(). */
  readonly alloc = (length: number): Buffer => {
    const b = this.pool.acquire(length);
    if (length >= MIN_POOLED_BYTES) this.held.push(b);
    return b;
  };

  release(): void {
    const held = this.held;
    this.held = [];
    for (const b of held) this.pool.release(b);
  }
}

function classOf(length: number): number {
  let size = MIN_POOLED_BYTES;
  while (size < length) size *= 2;
  return size;
}
