/**
 * `strata consume --format`: a kcat-style output format. Fields: %t topic, %p partition, %o offset,
 * %k key, %v (or %s) value, %T timestamp (ms since the epoch), %h headers (`k=v` pairs joined by
 * `,`; a header without value is `k` alone), %K key length and %S value length (-1 for null), %%
 * a percent sign; escapes \n, \t, \r and \\. A null key or value prints as nothing. Nothing is added:
 * end the format with \n for one record per line. Keys and values decode as UTF-8 (invalid bytes
 * as U+FFFD). Compiled once; pure.
 */
import { InvalidArgumentError } from 'commander';
import type { ConsumerMessage } from '@strata/client';

const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

const text = (bytes: Uint8Array | null): string => (bytes === null ? '' : lossy.decode(bytes));

type Part = string | ((m: ConsumerMessage) => string);

const FIELDS: Readonly<Record<string, (m: ConsumerMessage) => string>> = {
  t: (m) => m.topic,
  p: (m) => String(m.partition),
  o: (m) => String(m.offset),
  k: (m) => text(m.key),
  v: (m) => text(m.value),
  s: (m) => text(m.value),
  T: (m) => String(m.timestamp),
  h: (m) => m.headers.map((h) => (h.value === null ? h.key : `${h.key}=${text(h.value)}`)).join(','),
  K: (m) => String(m.key === null ? -1 : m.key.length),
  S: (m) => String(m.value === null ? -1 : m.value.length),
};

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

/** A formatter for `format`; throws commander's InvalidArgumentError (a usage error) for an unknown field. */
export function compileFormat(format: string): (m: ConsumerMessage) => string {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '%' || c === '\\') {
      if (next === undefined) throw new InvalidArgumentError(`the format ends with a lone "${c}".`);
      i++;
      if (c === '\\') {
        const e = ESCAPES[next];
        if (e === undefined) throw new InvalidArgumentError(`unknown escape "\\${next}" (known: \\n \\t \\r \\\\).`);
        literal += e;
        continue;
      }
      if (next === '%') {
        literal += '%';
        continue;
      }
      const field = FIELDS[next];
      if (!field) throw new InvalidArgumentError(`unknown field "%${next}" (known: ${Object.keys(FIELDS).map((k) => `%${k}`).join(' ')} %%).`);
      if (literal) parts.push(literal);
      literal = '';
      parts.push(field);
    } else {
      literal += c;
    }
  }
  if (literal) parts.push(literal);
  return (m) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(m);
    return out;
  };
}
