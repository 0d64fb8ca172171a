/**
 * A small option-schema library: exactly what the SDK's options need (strict objects, integers and
 * numbers in a range, strings, booleans, literals, unions, arrays, objects with given methods), each
 * with one message that says what is allowed, so that StrataConfigError messages read "expected an
 * integer from 1 to 2147483647, got -5".
 *
 * Written by hand instead of zod because the browser bundle of the SDK is the console's and every
 * web app's download: zod and its locales were 63% of it (the SDK is CommonJS, so nothing of zod
 * could be tree-shaken). The semantics follow zod's for these cases: a check reports the FIRST
 * problem, object keys are checked in the order of the shape and unknown keys after them, `optional`
 * accepts undefined, `nullable` accepts null, numbers are finite and integers are safe integers.
 *
 * Schemas are immutable and stateless; one instance may check any number of values concurrently.
 */

export const INT32_MAX = 2147483647;

export type Path = ReadonlyArray<string | number>;

/** What is wrong with a value: a value not allowed, or an object key the schema does not know. */
export type Problem =
  | { readonly kind: 'invalid'; readonly path: Path; readonly message: string; readonly input: unknown }
  | { readonly kind: 'unknown-key'; readonly path: Path; readonly key: string; readonly known: readonly string[] };

type Test = (value: unknown, path: Path) => Problem | undefined;

const invalid = (path: Path, message: string, input: unknown): Problem => ({ kind: 'invalid', path, message, input });

/** A schema of values of type T. */
export class Schema<T> {
  /** Type of the values this schema accepts (type-level only). */
  declare readonly output: T;
  readonly #test: Test;

  constructor(test: Test) {
    this.#test = test;
  }

  /** The first problem of `value` (found at `path`), or undefined when the value is allowed. */
  check(value: unknown, path: Path = []): Problem | undefined {
    return this.#test(value, path);
  }

  /** Also accepts undefined (and a missing object key). */
  optional(): OptionalSchema<T | undefined> {
    return new OptionalSchema<T | undefined>((v, path) => (v === undefined ? undefined : this.check(v, path)));
  }

  /** Also accepts null. */
  nullable(): Schema<T | null> {
    return new Schema<T | null>((v, path) => (v === null ? undefined : this.check(v, path)));
  }

  /** Values this schema accepts and `predicate` holds for; `message` otherwise. */
  refine(predicate: (value: T) => boolean, message: string): Schema<T> {
    return new Schema<T>((v, path) => this.check(v, path) ?? (predicate(v as T) ? undefined : invalid(path, message, v))); // checked just before
  }
}

/** A schema whose object key may be missing. */
export class OptionalSchema<T> extends Schema<T> {
  readonly isOptional = true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type ObjectOf<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** A plain object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with exactly the keys of `shape` (each checked by its schema, in order); any other key is a problem. */
export function strictObject<S extends Shape>(shape: S, message = 'expected an object'): Schema<ObjectOf<S>> {
  const known = Object.keys(shape);
  return new Schema<ObjectOf<S>>((v, path) => {
    if (!isPlainObject(v)) return invalid(path, message, v);
    for (const key of known) {
      const problem = shape[key]!.check(v[key], [...path, key]);
      if (problem) return problem;
    }
    const unknown = Object.keys(v).find((k) => !Object.prototype.hasOwnProperty.call(shape, k));
    return unknown === undefined ? undefined : { kind: 'unknown-key', path, key: unknown, known };
  });
}

/** An array whose items `item` accepts, with at least `min` items. */
export function arrayOf<T>(item: Schema<T>, message: string, min?: { count: number; message: string }): Schema<T[]> {
  return new Schema<T[]>((v, path) => {
    if (!Array.isArray(v)) return invalid(path, message, v);
    for (let i = 0; i < v.length; i++) {
      const problem = item.check(v[i], [...path, i]);
      if (problem) return problem;
    }
    return min && v.length < min.count ? invalid(path, min.message, v) : undefined;
  });
}

/** A value that one of `options` accepts; `message` otherwise. */
export function union<const O extends readonly Schema<unknown>[]>(options: O, message: string): Schema<Infer<O[number]>> {
  return new Schema<Infer<O[number]>>((v, path) => (options.some((o) => o.check(v, path) === undefined) ? undefined : invalid(path, message, v)));
}

/**
 * An object whose `key` names which schema checks it (zod's discriminatedUnion): the chosen
 * schema's own problem is reported; a missing or unknown `key` value gets `message`.
 */
export function discriminated<const O extends Readonly<Record<string, Schema<unknown>>>>(key: string, options: O, message: string): Schema<Infer<O[keyof O]>> {
  return new Schema<Infer<O[keyof O]>>((v, path) => {
    const tag = isPlainObject(v) ? v[key] : undefined;
    const option = typeof tag === 'string' && Object.prototype.hasOwnProperty.call(options, tag) ? options[tag] : undefined;
    return option ? option.check(v, path) : invalid(path, message, v);
  });
}

/** `true`, or a value `schema` accepts (whose own problem is reported). */
export function trueOr<T>(schema: Schema<T>): Schema<true | T> {
  return new Schema<true | T>((v, path) => (v === true ? undefined : schema.check(v, path)));
}

/** A value `predicate` holds for; `expected <what>` otherwise. */
export function custom<T>(what: string, predicate: (value: unknown) => boolean): Schema<T> {
  return new Schema<T>((v, path) => (predicate(v) ? undefined : invalid(path, `expected ${what}`, v)));
}

/** A string; `message` otherwise. */
export function string(message: string): Schema<string> {
  return new Schema<string>((v, path) => (typeof v === 'string' ? undefined : invalid(path, message, v)));
}

/** An integer (a safe one) in [min, max]. */
export function int(min: number, max: number = INT32_MAX): Schema<number> {
  const message = `expected an integer from ${min} to ${max}`;
  return new Schema<number>((v, path) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : invalid(path, message, v)));
}

/** A finite number in [min, max]. */
export function num(min: number, max: number): Schema<number> {
  const message = `expected a number from ${min} to ${max}`;
  return new Schema<number>((v, path) => (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? undefined : invalid(path, message, v)));
}

export function bool(): Schema<boolean> {
  return new Schema<boolean>((v, path) => (typeof v === 'boolean' ? undefined : invalid(path, 'expected true or false', v)));
}

/** A non-empty string of at most `max` characters. */
export function text(max = 0x7fff): Schema<string> {
  const message = `expected a non-empty string of at most ${max} characters`;
  return new Schema<string>((v, path) => (typeof v === 'string' && v.length >= 1 && v.length <= max ? undefined : invalid(path, message, v)));
}

/** One of the given literal values. */
export function oneOf<const T extends readonly [string | number, ...(string | number)[]]>(values: T): Schema<T[number]> {
  const message = `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return new Schema<T[number]>((v, path) => (values.includes(v as T[number]) ? undefined : invalid(path, message, v)));
}

/** A function (arity not checked). */
export function fn<T>(what = 'a function'): Schema<T> {
  return custom<T>(what, (v) => typeof v === 'function');
}

/** An object having the named methods. */
export function withMethods<T>(what: string, methods: readonly string[]): Schema<T> {
  return custom<T>(
    `${what} (an object with ${methods.map((m) => `${m}()`).join(', ')})`,
    (v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  );
}
