import { arrayOf, bool, fn, int, num, oneOf, strictObject, string, text, union, withMethods, type Problem } from './schema';

const invalidAt = (problem: Problem | undefined) => (problem?.kind === 'invalid' ? { path: problem.path.join('.'), message: problem.message, input: problem.input } : problem);

describe('option schemas', () => {
  it('reports the first problem in the order of the shape, and unknown keys only after every known key passed', () => {
    const s = strictObject({ a: int(0).optional(), b: strictObject({ c: bool() }).optional() });
    expect(invalidAt(s.check({ zz: 1, b: { c: 'no' }, a: -1 }))).toEqual({ path: 'a', message: 'expected an integer from 0 to 2147483647', input: -1 });
    expect(invalidAt(s.check({ zz: 1, b: { c: 'no' } }))).toEqual({ path: 'b.c', message: 'expected true or false', input: 'no' });
    expect(s.check({ zz: 1, yy: 2, a: 1 })).toEqual({ kind: 'unknown-key', path: [], key: 'zz', known: ['a', 'b'] });
    expect(s.check({ b: { c: true, d: 1 } })).toEqual({ kind: 'unknown-key', path: ['b'], key: 'd', known: ['c'] });
    expect(s.check({ a: undefined, b: { c: false } })).toBeUndefined();
  });

  it('takes only plain objects as objects', () => {
    const s = strictObject({});
    for (const v of [null, [], 5, 'x', undefined]) expect(invalidAt(s.check(v))).toEqual({ path: '', message: 'expected an object', input: v });
    expect(s.check({})).toBeUndefined();
  });

  it('accepts safe integers and finite numbers within the bounds only', () => {
    expect(int(1, 10).check(10)).toBeUndefined();
    for (const v of [0, 11, 1.5, NaN, Infinity, '5', null]) expect(int(1, 10).check(v)).toBeDefined();
    expect(int(0, Number.MAX_SAFE_INTEGER).check(2 ** 53)).toBeDefined();
    expect(num(0, 1).check(0.5)).toBeUndefined();
    for (const v of [-0.1, 1.1, NaN, Infinity, '0.5']) expect(num(0, 1).check(v)).toBeDefined();
  });

  it('lets optional take undefined and nullable take null, and nothing else that the inner schema rejects', () => {
    const s = int(1).nullable().optional();
    expect(s.check(undefined)).toBeUndefined();
    expect(s.check(null)).toBeUndefined();
    expect(invalidAt(s.check(0))).toMatchObject({ message: 'expected an integer from 1 to 2147483647', input: 0 });
    expect(int(1).optional().check(null)).toBeDefined();
  });

  it('names the index of a bad array item, then checks the length', () => {
    const s = arrayOf(text(3), 'expected an array', { count: 1, message: 'expected at least one' });
    expect(invalidAt(s.check(['ab', 'abcd']))).toEqual({ path: '1', message: 'expected a non-empty string of at most 3 characters', input: 'abcd' });
    expect(invalidAt(s.check([]))).toMatchObject({ message: 'expected at least one' });
    expect(invalidAt(s.check('ab'))).toMatchObject({ message: 'expected an array' });
  });

  it('reports a union with its own message when no option accepts the value', () => {
    const s = union([oneOf([1, 2] as const), fn()], 'expected 1, 2 or a function');
    expect(s.check(2)).toBeUndefined();
    expect(s.check(() => 0)).toBeUndefined();
    expect(invalidAt(s.check('1'))).toEqual({ path: '', message: 'expected 1, 2 or a function', input: '1' });
  });

  it('runs a refinement only on values of the right type', () => {
    const s = string('expected a string').refine((v) => v.startsWith('ws'), 'expected ws');
    expect(invalidAt(s.check(5))).toMatchObject({ message: 'expected a string' });
    expect(invalidAt(s.check('http'))).toMatchObject({ message: 'expected ws' });
    expect(s.check('ws://x')).toBeUndefined();
  });

  it('checks that an object has the named methods', () => {
    const s = withMethods('a Clock', ['now']);
    expect(s.check({ now: () => 1 })).toBeUndefined();
    expect(invalidAt(s.check({ now: 1 }))).toMatchObject({ message: 'expected a Clock (an object with now())' });
  });
});
