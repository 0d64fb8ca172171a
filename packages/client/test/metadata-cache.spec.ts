import { MetadataCache } from '../src/cluster/metadata-cache';

describe('MetadataCache', () => {
  const entry = (topic: string, fetchedAt: number) => ({ topic, isInternal: false, partitions: [], maxMessageBytes: 0, fetchedAt });

  it('serves entries younger than maxAgeMs and forgets invalidated ones', () => {
    const cache = new MetadataCache(1000);
    cache.set(entry('a', 5000));
    expect(cache.get('a', 5999)).toBeDefined();
    expect(cache.get('a', 6000)).toBeUndefined();
    cache.set(entry('b', 5000));
    cache.invalidate('b');
    expect(cache.get('b', 5000)).toBeUndefined();
    cache.clear();
    expect(cache.get('a', 5000)).toBeUndefined();
  });
});
