/**
 * The broker's log for people at a terminal: one line per entry, `HH:MM:SS.mmm LEVEL message
 * key=value ...`, from the JSON lines pino writes (the same fields; `pid` and `name` left out, an
 * error's stack on the lines below). Used when stdout is a terminal (`log.format` auto) or when
 * asked for (`log.format` pretty); machines get JSON. Stateless; one write per entry.
 */
import type { Writable } from 'node:stream';

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** One pino JSON line as a human-readable line (with a trailing newline). */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const t = new Date(typeof entry['time'] === 'number' ? entry['time'] : Date.now());
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
  const level = LEVELS[entry['level'] as number] ?? String(entry['level']);
  let line = `${time} ${level} ${typeof entry['msg'] === 'string' ? entry['msg'] : ''}`;
  let stack = '';
  for (const [k, v] of Object.entries(entry)) {
    if (OMIT.has(k) || v === undefined) continue;
    if ((k === 'err' || k === 'error') && v !== null && typeof v === 'object' && 'message' in v) {
      const e = v as { message: unknown; stack?: unknown };
      line += ` ${k}=${value(e.message)}`;
      if (typeof e.stack === 'string') stack = `\n${e.stack.split('\n').slice(1).join('\n')}`;
      continue;
    }
    line += ` ${k}=${value(v)}`;
  }
  return `${line}${stack}\n`;
}

/** A pino destination writing pretty lines to `out`. */
export function prettyDestination(out: Writable): { write(line: string): void } {
  return { write: (line: string) => void out.write(prettyLine(line)) };
}
