import { LineSplitter } from './line-splitter';

const text = (lines: Buffer[]) => lines.map((l) => l.toString('utf8'));

describe('LineSplitter', () => {
  it('splits on \\n, drops a \\r before it, and keeps empty lines', () => {
    const s = new LineSplitter();
    expect(text(s.push(Buffer.from('a\r\nb\n\nc\n')))).toEqual(['a', 'b', '', 'c']);
    expect(s.end()).toBeNull();
  });

  it('joins a line split across chunks, including inside a multi-byte character', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('héllo\nwörld\nend');
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 2) out.push(...s.push(bytes.subarray(i, i + 2)));
    const last = s.end();
    expect(text(out)).toEqual(['héllo', 'wörld']);
    expect(last?.toString('utf8')).toBe('end');
  });

  it('returns the final line without a newline at the end, once', () => {
    const s = new LineSplitter();
    expect(text(s.push(Buffer.from('x\ny')))).toEqual(['x']);
    expect(s.end()?.toString()).toBe('y');
    expect(s.end()).toBeNull();
  });
});
