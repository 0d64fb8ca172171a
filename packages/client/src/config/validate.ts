/**
 * Validates an options object once, at construction. The first problem becomes a StrataConfigError
 * (code INVALID_CONFIG) naming the option by its dotted path and what is allowed; an unknown option
 * is named with the options that exist beside it.
 */
import { StrataConfigError } from '../errors';
import type { Schema } from './schema';

export function validateOptions<T>(schema: Schema<T>, input: unknown, component: string): T {
  const problem = schema.check(input);
  if (problem === undefined) return input as T; // the schema accepts it: it is a T
  const path = problem.path.map(String).join('.');
  if (problem.kind === 'unknown-key') {
    const key = [...problem.path.map(String), problem.key].join('.');
    throw new StrataConfigError(
      key,
      `unknown ${component} option "${key}"${problem.known.length > 0 ? `; known options${path ? ` of "${path}"` : ''}: ${problem.known.join(', ')}` : ''}`,
    );
  }
  if (path === '') throw new StrataConfigError('', `invalid ${component} options: expected an object, got ${describe(problem.input)}`);
  throw new StrataConfigError(path, `invalid ${component} option "${path}": ${problem.message}, got ${describe(problem.input)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
