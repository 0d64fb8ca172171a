/**
 * Validates an options object once, at construction. The first problem becomes a StrataConfigError
 * (code INVALID_CONFIG) naming the option by its dotted path and what is allowed.
 */
import { z } from 'zod';
import { StrataConfigError } from '../errors';

export function validateOptions<T>(schema: z.ZodType<T>, input: unknown, component: string): T {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path.map(String), issue.keys[0] ?? ''].join('.');
    const allowed = allowedKeys(schema, issue.path);
    throw new StrataConfigError(
      key,
      `unknown ${component} option "${key}"${allowed.length > 0 ? `; known options${path ? ` of "${path}"` : ''}: ${allowed.join(', ')}` : ''}`,
    );
  }
  if (path === '') throw new StrataConfigError('', `invalid ${component} options: expected an object, got ${describe(issue.input)}`);
  throw new StrataConfigError(path, `invalid ${component} option "${path}": ${issue.message}, got ${describe(issue.input)}`);
}

function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    const obj = unwrap(current);
    current = obj instanceof z.ZodObject ? (obj.shape as Record<string, z.ZodType>)[String(key)] : undefined;
  }
  const obj = unwrap(current);
  return obj instanceof z.ZodObject ? Object.keys(obj.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
