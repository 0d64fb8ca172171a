/**
 * Settings tables: every broker and topic setting in one place, with its zod schema, default,
 * allowed values (for error messages) and documentation. docs/configuration.md is checked
 * against these tables by a test, so a setting cannot go undocumented.
 *
 * Values may arrive as strings (environment variables, flags, topic configs on the wire) or as
 * typed JSON values (config file, embedded API); the schemas accept both and reject anything
 * that does not parse exactly ("12abc" is not a number).
 */
import { z } from 'zod';
import { ERRORS, StrataError } from '@strata/protocol';

export interface SettingDef {
  key: string;
  schema: z.ZodType;
  default: unknown;
  /** Human description of the allowed values, used in error messages. */
  allowed: string;
  doc: string;
}

const INT32_MAX = 2 ** 31 - 1;

function toNumber(v: unknown): unknown {
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  if (typeof v === 'string' && /^\s*-?\d*\.\d+\s*$/.test(v)) return Number(v);
  return v;
}

function toBoolean(v: unknown): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

export function intSetting(key: string, def: number, min: number, max: number, doc: string): SettingDef {
  return {
    key,
    schema: z.preprocess(toNumber, z.number().int().min(min).max(max)),
    default: def,
    allowed: `an integer from ${min} to ${max}`,
    doc,
  };
}

export function numberSetting(key: string, def: number, min: number, max: number, doc: string): SettingDef {
  return {
    key,
    schema: z.preprocess(toNumber, z.number().min(min).max(max)),
    default: def,
    allowed: `a number from ${min} to ${max}`,
    doc,
  };
}

export function boolSetting(key: string, def: boolean, doc: string): SettingDef {
  return { key, schema: z.preprocess(toBoolean, z.boolean()), default: def, allowed: 'true or false', doc };
}

export function enumSetting<const T extends readonly [string, ...string[]]>(key: string, def: T[number], values: T, doc: string): SettingDef {
  return { key, schema: z.enum(values), default: def, allowed: `one of ${values.map((v) => `"${v}"`).join(', ')}`, doc };
}

export function stringSetting(key: string, def: string, doc: string, pattern?: RegExp, allowed = 'a non-empty string'): SettingDef {
  const base = z.string().min(1);
  return { key, schema: pattern ? base.regex(pattern) : base, default: def, allowed, doc };
}

/** Where a value came from, for error messages. */
export type SettingSource = 'default' | 'file' | 'environment' | 'flag' | 'option' | 'topic';

export interface ValidationProblem {
  key: string;
  value: unknown;
  source: SettingSource;
  message: string;
}

/**
 * Validates `values` against `table`. Unknown keys and bad values come back as problems naming
 * the setting and what it allows; valid values are returned parsed.
 */
export function validateSettings(
  table: readonly SettingDef[],
  values: Record<string, unknown>,
  sources: Record<string, SettingSource>,
): { parsed: Record<string, unknown>; problems: ValidationProblem[] } {
  const byKey = new Map(table.map((d) => [d.key, d]));
  const parsed: Record<string, unknown> = {};
  const problems: ValidationProblem[] = [];
  for (const [key, value] of Object.entries(values)) {
    const source = sources[key] ?? 'option';
    const def = byKey.get(key);
    if (!def) {
      problems.push({ key, value, source, message: `unknown setting "${key}"` });
      continue;
    }
    const r = def.schema.safeParse(value);
    if (!r.success) {
      problems.push({ key, value, source, message: `invalid value ${JSON.stringify(value)} for ${key}: expected ${def.allowed}` });
    } else parsed[key] = r.data;
  }
  return { parsed, problems };
}

export function describeProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => `${p.message} (from ${p.source})`).join('; ');
}

export class ConfigError extends StrataError {
  constructor(readonly problems: readonly ValidationProblem[]) {
    super(ERRORS.INVALID_CONFIG, `invalid configuration: ${describeProblems(problems)}`);
    this.name = 'ConfigError';
  }
}

export { INT32_MAX };
