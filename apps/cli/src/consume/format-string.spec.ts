import { ConsumerMessage } from '@strata/client';
import { compileFormat } from './format-string';

const m = (key: Buffer | null, value: Buffer | null, headers: Array<{ key: string; value: Buffer | null }> = []) => new ConsumerMessage('orders', 3, 42, 1_700_000_000_123, key, value, headers);

describe('compileFormat', () => {
  it('fills in every field, kcat-style', () => {
    const f = compileFormat('%t/%p/%o %T %k=%v (%K,%S) [%h] 100%%\\n');
    expect(f(m(Buffer.from('k1'), Buffer.from('v1'), [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }]))).toBe('orders/3/42 1700000000123 k1=v1 (2,2) [a=1,b] 100%\n');
  });

  it('prints a null key or value as nothing, with length -1', () => {
    expect(compileFormat('[%k][%s] %K %S')(m(null, null))).toBe('[][] -1 -1');
    expect(compileFormat('%K %S')(m(Buffer.alloc(0), Buffer.alloc(0)))).toBe('0 0');
  });

  it('knows the escapes \\t \\n \\r \\\\', () => {
    expect(compileFormat('%p\\t%o\\\\\\r\\n')(m(null, null))).toBe('3\t42\\\r\n');
  });

  it('refuses unknown fields and escapes, naming them', () => {
    expect(() => compileFormat('%x')).toThrow(/unknown field "%x"/);
    expect(() => compileFormat('\\q')).toThrow(/unknown escape "\\q"/);
    expect(() => compileFormat('50%')).toThrow(/lone "%"/);
  });
});
