/**
 * zod building blocks for option schemas, each with one message that says what is allowed, so that
 * StrataConfigError messages read "expected an integer from 1 to 2147483647, got -5".
 */
import { z } from 'zod';

export const INT32_MAX = 2147483647;

/** An integer in [min, max]. */
export function int(min: number, max: number = INT32_MAX) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A number in [min, max]. */
export function num(min: number, max: number) {
  const error = `expected a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

export function bool() {
  return z.boolean({ error: 'expected true or false' });
}

/** A non-empty string of at most `max` characters. */
export function text(max = 0x7fff) {
  const error = `expected a non-empty string of at most ${max} characters`;
  return z.string({ error }).min(1, { error }).max(max, { error });
}

/** One of the given literal values. */
export function oneOf<const T extends readonly [string | number, ...(string | number)[]]>(values: T) {
  const error = `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  // z.union wants a tuple of at least two schemas; `values` is non-empty by its type.
  return z.union(values.map((v) => z.literal(v, { error })) as unknown as [z.ZodLiteral<T[number]>, z.ZodLiteral<T[number]>], { error });
}

/** A function (arity not checked). */
export function fn<T>(what = 'a function') {
  return z.custom<T>((v) => typeof v === 'function', { error: `expected ${what}` });
}

/** An object having the named methods. */
export function withMethods<T>(what: string, methods: readonly string[]) {
  return z.custom<T>(
    (v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    { error: `expected ${what} (an object with ${methods.map((m) => `${m}()`).join(', ')})` },
  );
}
