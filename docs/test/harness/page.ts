/**
 * One documentation page under test: a real broker in-process on a free port with a temporary
 * data folder, and a temporary folder where the page's examples run. Every block of the page runs
 * against this broker, in document order, as a reader following the page would; pages share
 * nothing.
 *
 * Layout of the temporary folder:
 *   node_modules -> <repo>/node_modules   so examples import @strata/* as an installed package
 *   examples/                              the transpiled TypeScript examples
 *   work/                                  the working directory of every example (sh and ts)
 *   tmp/                                   TMPDIR of the examples (what they leave behind goes too)
 *   broker/                                the page broker's data
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';

/** The address every example is written against; the harness points it at the page's broker. */
export const DOCS_BROKER_URL = 'ws://127.0.0.1:9092';

export class Page {
  private constructor(
    readonly repoRoot: string,
    readonly file: string,
    readonly root: string,
    readonly broker: RunningBroker,
  ) {}

  static async open(repoRoot: string, file: string): Promise<Page> {
    const root = await mkdtemp(join(tmpdir(), 'strata-docs-'));
    try {
      await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
      await Promise.all(['examples', 'work', 'tmp', 'broker'].map((d) => mkdir(join(root, d))));
      const broker = await startBroker({ dataDir: join(root, 'broker'), port: 0 });
      return new Page(repoRoot, file, root, broker);
    } catch (error) {
      await rm(root, { recursive: true, force: true });
      throw error;
    }
  }

  get examplesDir(): string {
    return join(this.root, 'examples');
  }

  get workDir(): string {
    return join(this.root, 'work');
  }

  /** `ws://127.0.0.1:9092`, `127.0.0.1:9092` and `localhost:9092` in `code`, pointed at the page broker. */
  rewriteUrls(code: string): string {
    const hostPort = this.broker.url.replace(/^ws:\/\//, '');
    return code.replaceAll(DOCS_BROKER_URL, this.broker.url).replace(/\b(?:127\.0\.0\.1|localhost):9092\b/g, hostPort);
  }

  /**
   * The environment of examples: the test's own, without STRATA_*, npm_* and NX_* variables (an
   * example sees what a user's shell would), with the repository's node_modules/.bin first on PATH,
   * STRATA_BROKERS set to the page broker, TMPDIR inside the page's folder, and npm/npx offline and forbidden to install anything
   * (`npx strata` must resolve to this checkout, never to a registry package).
   */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(STRATA_|npm_|NX_|INIT_CWD$)/i.test(k)) env[k] = v;
    return {
      ...env,
      PATH: `${join(this.repoRoot, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}`,
      STRATA_BROKERS: this.broker.url,
      TMPDIR: join(this.root, 'tmp'),
      npm_config_yes: 'false',
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      ...extra,
    };
  }

  async close(): Promise<void> {
    try {
      await this.broker.close();
    } finally {
      await rm(this.root, { recursive: true, force: true });
    }
  }
}
