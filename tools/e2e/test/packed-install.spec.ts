/**
 * The packages as users get them: each publishable package is packed (`npm pack`), the tarballs
 * are installed into a new project in the system's temp folder, outside this repository
 * (`npm install <tarballs> --prefer-offline`: third-party dependencies come from npm's cache,
 * which `npm ci` filled, and from the registry only for what is missing), then a program using
 * every entry (packed/main.ts) is type-checked with `tsc --noEmit --strict`, compiled and run
 * against a broker from the installed @strata/broker. The tarballs must carry LICENSE, README and
 * source maps with their sources. Nothing here is skipped: when npm cannot install, the test fails.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..', '..');
const PACKAGES = ['packages/protocol', 'packages/client', 'apps/broker', 'apps/console', 'apps/cli'];
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/** The environment without npm's per-run variables (npm test sets them for this repository). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NX_|INIT_CWD$|STRATA_)/i.test(k)) env[k] = v;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(file: string, args: string[], options: ExecFileSyncOptions): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, ...options }) as string;
  } catch (e) {
    const error = e as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed (exit ${error.status}):\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
  }
}

let project: string;
const tarballs: string[] = [];

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'strata-packed-install-'));
  for (const pkg of PACKAGES) {
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], { cwd: join(REPO, pkg) })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarballs.push(join(project, info!.filename));
    const files = info!.files.map((f) => f.path);
    if (!files.includes('LICENSE') || !files.includes('README.md')) throw new Error(`${pkg}: the tarball lacks LICENSE or README.md`);
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'packed-install-check', private: true, type: 'module' }, null, 2));
  // TypeScript 7 (the native compiler, the registry's latest) beside the repository's 5.x: users have either.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, 'typescript@7'], { cwd: project, timeout: 240_000 });
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

it('ships source maps that carry their sources (no map points at a file that is not shipped)', () => {
  for (const name of ['client', 'protocol', 'broker', 'cli']) {
    const dir = join(project, 'node_modules', '@strata', name, 'dist');
    const maps = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing = maps.filter((m) => {
      const map = JSON.parse(readFileSync(join(dir, m), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      return !map.sourcesContent || map.sourcesContent.length !== map.sources.length || map.sourcesContent.some((c) => typeof c !== 'string');
    });
    expect(missing).toEqual([]);
  }
});

it('installs the web console that `strata console` serves with the CLI', () => {
  const dist = join(project, 'node_modules', '@strata', 'console', 'dist');
  expect(readdirSync(dist).sort()).toEqual(['app.js', 'index.html', 'styles.css']);
});

it('type-checks a program using every entry with tsc --noEmit --strict, outside the monorepo', () => {
  copyFileSync(join(__dirname, 'packed', 'main.ts'), join(project, 'main.ts'));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'], skipLibCheck: false }, files: ['main.ts'] }, null, 2),
  );
  run(process.execPath, [TSC, '--noEmit', '--strict', '-p', '.'], { cwd: project, timeout: 120_000 });
});

it.each([
  ['5 (the repository\'s)', 'node16', 'node16'],
  ['5 (the repository\'s)', 'bundler', 'preserve'],
  ['7', 'nodenext', 'nodenext'],
  ['7', 'node16', 'node16'],
  ['7', 'bundler', 'preserve'],
])('type-checks it with TypeScript %s, moduleResolution %s, strict, without skipLibCheck', (version, moduleResolution, module) => {
  const tsc = version === '7' ? join(project, 'node_modules', 'typescript', 'bin', 'tsc') : TSC;
  if (version === '7') expect(run(process.execPath, [tsc, '--version'], { cwd: project })).toMatch(/^Version 7\./);
  const config = `tsconfig.${version.charAt(0)}-${moduleResolution}.json`;
  writeFileSync(
    join(project, config),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, noEmit: true, types: ['node'], skipLibCheck: false }, files: ['main.ts'] }, null, 2),
  );
  run(process.execPath, [tsc, '-p', config], { cwd: project, timeout: 120_000 });
});

it('runs that program against a broker from the installed @strata/broker (client, KafkaJS entry in ESM and CJS, the strata CLI)', () => {
  run(process.execPath, [TSC, '-p', '.'], { cwd: project, timeout: 120_000 });
  const out = run(process.execPath, [join(project, 'out', 'main.js')], { cwd: project, timeout: 60_000 });
  expect(out).toMatch(/^OK$/m);
});
