/**
 * How `strata consume` prints a record: text (tab-separated fields, `key<sep>value`, the value
 * only, or a --format string) or one JSON object per line. In text a null key or value prints as
 * nothing (JSON keeps null apart from empty). Keys and values are UTF-8; text output decodes invalid UTF-8
 * lossily (U+FFFD), JSON output keeps such bytes exact as `{"base64": "..."}`. A byte order mark
 * is kept, not stripped.
 */
import type { ConsumerMessage } from '@strata/client';

/** Text layouts: all fields, `key<sep>value` (mirrors `produce --key-separator`), or the value only. */
export type TextLayout =
  | { kind: 'fields' }
  | { kind: 'key-value'; separator: string }
  | { kind: 'value' }
  /** A compiled --format string (it ends lines itself). */
  | { kind: 'format'; format: (message: ConsumerMessage) => string };

const lossy = new TextDecoder('utf-8', { ignoreBOM: true });
const strict = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

/** A key, value or header value in JSON output. */
export type JsonBytes = string | { base64: string } | null;

/** One record in JSON output. */
export interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes;
  headers: Array<{ key: string; value: JsonBytes }>;
}

/** The text line of a record (without newline, except what a --format adds); a null key or value prints as nothing. */
export function formatText(message: ConsumerMessage, layout: TextLayout): string {
  const value = text(message.value);
  switch (layout.kind) {
    case 'fields':
      return `${message.partition}\t${message.offset}\t${text(message.key)}\t${value}`;
    case 'key-value':
      return message.key === null ? value : `${text(message.key)}${layout.separator}${value}`;
    case 'value':
      return value;
    case 'format':
      return layout.format(message);
  }
}

/** The output of one record: its JSON object or text line and a newline (a --format string ends lines itself). */
export function recordOutput(message: ConsumerMessage, json: boolean, layout: TextLayout): string {
  if (json) return `${JSON.stringify(toJsonRecord(message))}\n`;
  return layout.kind === 'format' ? layout.format(message) : `${formatText(message, layout)}\n`;
}

/** The JSON object of a record. */
export function toJsonRecord(message: ConsumerMessage): JsonRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: jsonBytes(message.key),
    value: jsonBytes(message.value),
    headers: message.headers.map((h) => ({ key: h.key, value: jsonBytes(h.value) })),
  };
}

function text(bytes: Uint8Array | null): string {
  return bytes === null ? '' : lossy.decode(bytes);
}

function jsonBytes(bytes: Uint8Array | null): JsonBytes {
  if (bytes === null) return null;
  try {
    return strict.decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
}
