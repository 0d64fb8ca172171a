/**
 * The SDK core runs in browsers: nothing reachable from the browser entry may import `ws` or a Node
 * module, and only the Node transport may use Node globals (Buffer, process).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

const SRC = join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

function resolveLocal(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // try the next form
    }
  }
  throw new Error(`cannot resolve ${spec} from ${from}`);
}

/** Every local file reachable from `entry`, with the external modules each imports. */
function closure(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const external: string[] = [];
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) todo.push(resolveLocal(file, spec));
      else external.push(spec);
    }
    seen.set(file, external);
  }
  return seen;
}

describe('platform neutrality', () => {
  it('keeps ws and Node modules out of everything the browser entry reaches', () => {
    const reached = closure(join(SRC, 'browser.ts'));
    expect(reached.size).toBeGreaterThan(20);
    const offending = [...reached].flatMap(([file, externals]) =>
      externals.filter((m) => m === 'ws' || m.startsWith('node:') || ['fs', 'net', 'tls', 'zlib', 'os', 'path', 'buffer', 'events'].includes(m)).map((m) => `${relative(SRC, file)} imports ${m}`),
    );
    expect(offending).toEqual([]);
    expect([...reached.keys()].map((f) => relative(SRC, f))).not.toContain(join('transport', 'ws-transport.ts'));
  });

  it('uses Node globals only in the Node transport, the native CRC loader, the Buffer views and the Node entry itself (none reached from browsers)', () => {
    const offending: string[] = [];
    // native-crc.ts requires an optional native module; the test above keeps them out of browsers.
    const nodeOnly = [join('transport', 'ws-transport.ts'), join('codecs', 'native-crc.ts'), join('consumer', 'node-bytes-view.ts'), 'index.ts'];
    expect([...closure(join(SRC, 'browser.ts')).keys()].map((f) => relative(SRC, f)).filter((f) => nodeOnly.includes(f))).toEqual([]);
    // The KafkaJS compatibility entry (kafkajs/) is Node-only too, as KafkaJS is.
    expect([...closure(join(SRC, 'browser.ts')).keys()].map((f) => relative(SRC, f)).filter((f) => f.startsWith(`kafkajs${sep}`))).toEqual([]);
    for (const file of sourceFiles(SRC)) {
      const rel = relative(SRC, file);
      if (nodeOnly.includes(rel) || rel.startsWith(`kafkajs${sep}`)) continue;
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/`[^`]*`|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
      for (const pattern of [/\bBuffer\b/, /\bprocess\./, /(?<![.\w])require\(/, /\b__dirname\b/, /\bsetImmediate\b/]) {
        if (pattern.test(code)) offending.push(`${rel}: ${pattern.source}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
