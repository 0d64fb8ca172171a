/**
 * Checks of producer messages, on the hot path of send(): no allocation per message except
 * header lists given as objects.
 */
import { StrataArgumentError } from '../errors';
import type { MessageBytes, MessageHeaders } from './producer-types';

export type HeaderList = ReadonlyArray<{ key: string; value: MessageBytes }>;

/** null when `v` is a valid key / value / header value, else the problem. */
export function bytesProblem(v: unknown, field: string): string | null {
  if (v === null || v === undefined || typeof v === 'string' || v instanceof Uint8Array) return null;
  return `${field} must be a string, a Uint8Array (or Buffer) or null, got ${typeof v}`;
}

function isHeaderList(headers: MessageHeaders): headers is HeaderList {
  return Array.isArray(headers);
}

/** Headers as a list (an object becomes one list entry per key). */
export function toHeaderList(headers: MessageHeaders | null | undefined): HeaderList | null {
  if (headers === null || headers === undefined) return null;
  if (isHeaderList(headers)) return headers;
  if (typeof headers !== 'object') throw new StrataArgumentError('message headers must be an array of { key, value } or an object');
  const list: { key: string; value: MessageBytes }[] = [];
  for (const key of Object.keys(headers)) list.push({ key, value: headers[key] ?? null });
  return list;
}
