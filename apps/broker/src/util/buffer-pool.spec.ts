import { BufferPool, MAX_POOLED_BYTES, MIN_POOLED_BYTES } from './buffer-pool';

describe('BufferPool', () => {
  it('hands a released slab out again, sized exactly as asked', () => {
    const pool = new BufferPool();
    const a = pool.acquire(100_000);
    expect(a.length).toBe(100_000);
    pool.release(a);
    const b = pool.acquire(120_000);
    expect(b.length).toBe(120_000);
    expect(b.buffer).toBe(a.buffer); // same 128 KiB class
  });

  it('never hands one slab to two holders, even after a double release', () => {
    const pool = new BufferPool();
    const a = pool.acquire(MIN_POOLED_BYTES);
    pool.release(a);
    pool.release(a);
    const b = pool.acquire(MIN_POOLED_BYTES);
    const c = pool.acquire(MIN_POOLED_BYTES);
    expect(b.buffer).not.toBe(c.buffer);
  });

  it('ignores buffers it did not hand out and does not pool small or huge ones', () => {
    const pool = new BufferPool();
    pool.release(new Uint8Array(MIN_POOLED_BYTES));
    expect(pool.retainedBytes).toBe(0);
    const small = pool.acquire(100);
    const huge = pool.acquire(MAX_POOLED_BYTES + 1);
    pool.release(small);
    pool.release(huge);
    expect(pool.retainedBytes).toBe(0);
  });

  it('keeps at most maxRetainedBytes of free slabs', () => {
    const pool = new BufferPool(2 * MIN_POOLED_BYTES);
    const held = [pool.acquire(MIN_POOLED_BYTES), pool.acquire(MIN_POOLED_BYTES), pool.acquire(MIN_POOLED_BYTES)];
    for (const b of held) pool.release(b);
    expect(pool.retainedBytes).toBe(2 * MIN_POOLED_BYTES);
  });

  it('a lease gives back everything taken through it at once', () => {
    const pool = new BufferPool();
    const lease = pool.lease();
    const a = lease.alloc(MIN_POOLED_BYTES);
    const b = lease.alloc(2 * MIN_POOLED_BYTES);
    lease.alloc(10); // not pooled, nothing to give back
    lease.release();
    expect(pool.retainedBytes).toBe(3 * MIN_POOLED_BYTES);
    expect(pool.acquire(MIN_POOLED_BYTES).buffer).toBe(a.buffer);
    expect(pool.acquire(2 * MIN_POOLED_BYTES).buffer).toBe(b.buffer);
  });
});
