/**
 * Type-checks the TypeScript examples of the docs with the TypeScript compiler API, against the
 * built packages' type declarations (node_modules/@strata/* -> dist/*.d.ts through their `exports`
 * maps), as a user's project would see them: docs cannot drift from the published API.
 *
 * Each block becomes a virtual file in docs/.examples/ (never written to disk) so that module
 * resolution walks up to the repository's node_modules. Programs are ES modules (`.mts`, NodeNext:
 * top-level await, named imports of the CommonJS packages as Node resolves them); `ts jest` blocks
 * are CommonJS test files (`.cts`) with the jest globals. Lines map 1:1 to the Markdown file.
 */
import { join } from 'node:path';
import ts from 'typescript';
import type { CodeBlock } from './markdown';

/** What a strict user project would use; deliberately not the repository's tsconfig (no paths to src). */
const BASE_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  esModuleInterop: true,
  forceConsistentCasingInFileNames: true,
};

export function isJestBlock(block: CodeBlock): boolean {
  return block.meta.includes('jest');
}

/** A file name for `block` unique in the docs, e.g. `docs-sdk-md-L42`. */
export function blockSlug(block: CodeBlock): string {
  return `${block.file.replace(/[^a-zA-Z0-9]+/g, '-')}-L${block.line}`;
}

/** Type errors per block (keyed by the block object), formatted as `file.md:line:col - error TSn: message`. */
export function typeCheckBlocks(repoRoot: string, blocks: readonly CodeBlock[]): Map<CodeBlock, string[]> {
  const result = new Map<CodeBlock, string[]>(blocks.map((b) => [b, []]));
  const programs = [
    { blocks: blocks.filter((b) => !isJestBlock(b)), ext: '.mts', types: ['node'] },
    { blocks: blocks.filter(isJestBlock), ext: '.cts', types: ['node', 'jest'] },
  ];
  for (const p of programs) {
    if (p.blocks.length === 0) continue;
    const files = new Map(p.blocks.map((b) => [join(repoRoot, 'docs', '.examples', `${blockSlug(b)}${p.ext}`), b]));
    const options: ts.CompilerOptions = { ...BASE_OPTIONS, types: p.types, typeRoots: [join(repoRoot, 'node_modules', '@types')] };
    const host = virtualHost(options, files);
    const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
    const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    if (diagnostics.length > 0) throw new Error(`the examples' compiler options are invalid:\n${format(diagnostics, files)}`);
    for (const [path, block] of files) {
      const sourceFile = program.getSourceFile(path);
      if (!sourceFile) throw new Error(`${block.file}:${block.line}: the compiler did not load the example`);
      const found = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
      result.set(block, found.map((d) => format([d], files)));
    }
  }
  return result;
}

function virtualHost(options: ts.CompilerOptions, files: ReadonlyMap<string, CodeBlock>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.code ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const block = files.get(name);
    if (block) return ts.createSourceFile(name, block.code, languageVersion, true);
    return getSourceFile.call(host, name, languageVersion, onError, shouldCreate);
  };
  return host;
}

function format(diagnostics: readonly ts.Diagnostic[], files: ReadonlyMap<string, CodeBlock>): string {
  return diagnostics
    .map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const block = d.file ? files.get(d.file.fileName) : undefined;
      if (!d.file || d.start === undefined) return `error TS${d.code}: ${message}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const where = block ? `${block.file}:${block.firstCodeLine + line}:${character + 1}` : `${d.file.fileName}:${line + 1}:${character + 1}`;
      return `${where} - error TS${d.code}: ${message}`;
    })
    .join('\n');
}
