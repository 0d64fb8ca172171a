/**
 * Argument parsers for commander options. Each throws commander's InvalidArgumentError, which
 * commander reports as a usage error (exit code 2) naming the option.
 */
import { InvalidArgumentError } from 'commander';
import type { Acks } from '@strata/client';
import { topicNameProblem } from '@strata/protocol';

/** A parser of integers in [min, max]. */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const trimmed = value.trim();
    if (!/^-?\d+$/.test(trimmed)) throw new InvalidArgumentError(`expected an integer, got "${value}".`);
    const n = Number(trimmed);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}.` : `expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** Parses `key=value` (the value may contain `=`; the key may not be empty). */
export function keyValue(value: string): [string, string] {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}".`);
  return [value.slice(0, at), value.slice(at + 1)];
}

/** Reducer for repeatable options: collects each parsed value into a list. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

/** Reducer for repeatable options that also accept comma-separated lists (`-p 0,2 -p 5`). */
export function collectList<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [
    ...(previous ?? []),
    ...value
      .split(',')
      .filter((v) => v.trim().length > 0)
      .map(parse),
  ];
}

/**
 * Parses comma-separated brokers: ws:// or wss:// URLs, or `host:port` as Kafka tools take them
 * (`-b localhost:9092`), which means `ws://host:port`.
 */
export function brokerList(value: string): string[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new InvalidArgumentError('expected at least one broker such as localhost:9092 or ws://127.0.0.1:9092.');
  return entries.map((entry) => {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `ws://${entry}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidArgumentError(`"${entry}" is not a broker address; expected host:port, ws://host:port or wss://host:port.`);
    }
    if ((parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') || parsed.hostname.length === 0) {
      throw new InvalidArgumentError(`"${entry}" is not a ws:// or wss:// URL (or host:port).`);
    }
    if (url !== entry && parsed.port === '') throw new InvalidArgumentError(`"${entry}" has no port; expected host:port such as localhost:9092.`);
    return url;
  });
}

/** A valid topic name (Kafka's rules: 1-249 characters from [a-zA-Z0-9._-], not "." or ".."). */
export function topicName(value: string): string {
  const problem = topicNameProblem(value);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

/** Parses a separator, turning the escapes \t, \n and \\ into their characters; never empty. */
export function separator(value: string): string {
  const sep = value.replace(/\\(t|n|\\)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'));
  if (sep.length === 0) throw new InvalidArgumentError('the separator cannot be empty.');
  return sep;
}

/** A finite number > 0 (decimals allowed). */
export function positiveNumber(value: string): number {
  const trimmed = value.trim();
  const n = Number(trimmed);
  if (trimmed.length === 0 || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got "${value}".`);
  return n;
}

/** Acknowledgements: 0, 1, or all (also -1). */
export function parseAcks(value: string): Acks {
  if (value === 'all' || value === '-1') return 'all';
  if (value === '0' || value === '1') return value === '0' ? 0 : 1;
  throw new InvalidArgumentError('expected 0, 1 or all.');
}
