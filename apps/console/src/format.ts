/**
 * How the console writes numbers, sizes, times and record bytes. Pure functions, no DOM.
 *
 * Record keys and values are shown as text (UTF-8, when the bytes are valid UTF-8 with no control
 * characters other than tab and line breaks), as JSON pretty-printed (when the text parses as a
 * JSON object or array), or as hex; 'auto' picks the first that fits in the order JSON, text, hex.
 */

export type BytesView = 'auto' | 'text' | 'json' | 'hex';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Records per second with one decimal below 10: "0.5", "12", "1,204". */
export function formatRate(perSecond: number): string {
  return perSecond < 10 ? (Math.round(perSecond * 10) / 10).toString() : formatCount(perSecond);
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** A duration setting in milliseconds, as a person says it: "7 d", "1 h", "250 ms"; -1 is "forever". */
export function formatMs(ms: number): string {
  if (ms < 0) return 'forever';
  const steps: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of steps) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** ISO-8601 in UTC with milliseconds: unambiguous wherever the operator is. */
export function formatTimestamp(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 ? new Date(ms).toISOString() : String(ms);
}

/** The UTF-8 text of `bytes`, or null when they are not printable UTF-8. */
export function printableText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? null : text;
}

/** Lower-case hex, bytes separated by spaces, 16 to a line. */
export function hex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, '0')).join(' '));
  }
  return lines.join('\n');
}

export interface RenderedBytes {
  /** How the bytes are shown (never 'auto'). */
  view: Exclude<BytesView, 'auto'>;
  text: string;
}

/**
 * `bytes` shown as asked; a view that does not fit the bytes (JSON that does not parse, text that
 * is not UTF-8) falls back to the next one that does (text, then hex).
 */
export function renderBytes(bytes: Uint8Array, view: BytesView): RenderedBytes {
  if (view === 'hex') return { view: 'hex', text: hex(bytes) };
  const text = printableText(bytes);
  if (text === null) return { view: 'hex', text: hex(bytes) };
  if (view === 'json' || view === 'auto') {
    const trimmed = text.trim();
    if (view === 'json' || trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return { view: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
      } catch {
        // not JSON: shown as text
      }
    }
  }
  return { view: 'text', text };
}
