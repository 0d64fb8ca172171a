import { startOffset } from './browse';

describe('where a page of records starts', () => {
  it('stays within the partition', () => {
    expect(startOffset({ at: 'earliest' }, 5, 50, 20)).toBe(5);
    expect(startOffset({ at: 'latest' }, 5, 50, 20)).toBe(30);
    expect(startOffset({ at: 'latest' }, 5, 12, 20)).toBe(5);
    expect(startOffset({ at: 'offset', offset: 2 }, 5, 50, 20)).toBe(5);
    expect(startOffset({ at: 'offset', offset: 70 }, 5, 50, 20)).toBe(50);
    expect(startOffset({ at: 'timestamp', timestamp: 1 }, 5, 50, 20, 17)).toBe(17);
    expect(startOffset({ at: 'timestamp', timestamp: 1 }, 5, 50, 20)).toBe(50); // nothing at or after it
  });
});
