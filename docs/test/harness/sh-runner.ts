/**
 * Runs ```sh examples as a reader pasting them into a terminal would:
 *
 * - Commands run with bash in the page's working folder (shared by the page's blocks), with the
 *   repository's node_modules/.bin first on PATH (`strata`, `strata-broker` and `npx strata`
 *   resolve to this checkout), STRATA_BROKERS pointing at the page broker, and
 *   `ws://127.0.0.1:9092` rewritten to it.
 * - A command is what bash reads as one: a line, or more with a trailing `\`, an open quote, a
 *   heredoc or a compound command (`if ... fi`, `case ... esac`). Blank and `#` lines are skipped.
 * - The commands between two long-running ones run as one bash script, so they share shell
 *   variables, `cd` and `$?`. Every command must exit 0, except one directly followed by a command
 *   that reads `$?` (`cmd` then `case $? in ...`, or `echo $?`): that one shows a failure on purpose.
 *   `cmd || echo "failed: $?"` works too. Each command has a deadline.
 * - Install commands (lines starting `npm ci` or `npm install`) are skipped: CI runs them itself.
 * - Long-running commands start in the background, in their own process group, and are stopped at
 *   the end of the block with SIGTERM to that group, as Ctrl-C would:
 *     `strata-broker ...`: run with `--port 0 --data.dir <temp> --log.level info` appended (so it
 *       never takes the real port 9092 or writes outside the temp folder); the next command waits
 *       until it logs "broker started" and answers GET /healthz. Other commands keep talking to
 *       the page broker.
 *     `npm start`: the same, with STRATA_PORT=0 and STRATA_DATA_DIR=<temp> in its environment.
 *     `strata consume ... --follow` without --max-messages: before it is stopped, it must have
 *       printed at least one record (start it --from-beginning, or produce after it in the block).
 *   After SIGTERM a broker must log "broker stopped" and everything must exit 0 (npm and npx
 *   themselves die of the signal; that is accepted). A long-running command must be a simple
 *   command: no pipes, `;`, `&&` or redirections.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { CodeBlock } from './markdown';
import type { Page } from './page';
import { Child, type ProcessResult } from './processes';

export const COMMAND_DEADLINE_MS = 60_000;
const READY_DEADLINE_MS = 30_000;
const NPM_START_READY_DEADLINE_MS = 180_000;
const STOP_DEADLINE_MS = 30_000;
const FOLLOW_OUTPUT_DEADLINE_MS = 15_000;
const FAILED_MARKER = '__STRATA_DOCS_COMMAND_FAILED__';

export type CommandKind = 'run' | 'install' | 'broker' | 'npm-start' | 'follow';

export interface ShellCommand {
  text: string;
  /** Line in the Markdown file where the command starts. */
  line: number;
  kind: CommandKind;
}

/** The commands of a ```sh block, classified; throws on a syntax error. */
export function shellCommands(block: CodeBlock): ShellCommand[] {
  const lines = block.code.split('\n');
  const commands: ShellCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    for (;;) {
      const state = text.endsWith('\\') ? 'incomplete' : syntaxState(text);
      if (state === 'complete') break;
      if (state !== 'incomplete') throw new Error(`${block.file}:${block.firstCodeLine + start}: bash cannot parse the command: ${state}`);
      if (i + 1 >= lines.length) throw new Error(`${block.file}:${block.firstCodeLine + start}: the command does not end before the block does`);
      text = `${text}\n${lines[++i]!}`;
    }
    commands.push({ text, line: block.firstCodeLine + start, kind: classify(text) });
  }
  return commands;
}

/** Asks bash whether `text` is a complete command: 'complete', 'incomplete' or bash's syntax error. */
function syntaxState(text: string): string {
  const r = spawnSync('bash', ['-n', '-c', text], { encoding: 'utf8', timeout: 10_000 });
  const err = r.stderr ?? '';
  if (/unexpected end of file|unexpected EOF|here-document at line \d+ delimited by end-of-file/.test(err)) return 'incomplete';
  return r.status === 0 ? 'complete' : err.trim() || `bash -n exited with ${r.status ?? r.signal}`;
}

/** What kind of command `text` is (see the header). */
export function classify(text: string): CommandKind {
  if (/^\s*npm\s+(ci|install|i)\b/.test(text)) return 'install';
  const words = commandWords(text);
  if (words[0] === 'npx') words.shift();
  const [command, ...args] = words;
  const helpOrVersion = args.some((a) => ['-h', '--help', '-V', '--version'].includes(a));
  if (command === 'strata-broker' && !helpOrVersion) return 'broker';
  if (command === 'npm' && (args[0] === 'start' || (args[0] === 'run' && args[1] === 'start'))) return 'npm-start';
  if (command === 'strata' && args.includes('consume') && !helpOrVersion && args.some((a) => a === '--follow' || /^-[a-zA-Z]*f[a-zA-Z]*$/.test(a))) {
    if (!args.some((a) => a === '-n' || a.startsWith('--max-messages'))) return 'follow';
  }
  return 'run';
}

interface Background {
  command: ShellCommand;
  child: Child;
}

/** Runs a ```sh block (see the header); rejects with the failing command's location and output. */
export async function runShellBlock(page: Page, block: CodeBlock): Promise<void> {
  const background: Background[] = [];
  try {
    let segment: ShellCommand[] = [];
    for (const command of shellCommands(block)) {
      if (command.kind === 'install') continue;
      if (command.kind === 'run') {
        segment.push(command);
        continue;
      }
      await runSegment(page, block, segment);
      segment = [];
      background.push(await startBackground(page, block, command));
    }
    await runSegment(page, block, segment);
    for (const b of background.reverse()) await stop(block, b);
  } finally {
    for (const b of background) b.child.signalGroup('SIGKILL');
  }
}

/** Runs ordinary commands as one bash script that stops at the first failing command and names it. */
async function runSegment(page: Page, block: CodeBlock, commands: readonly ShellCommand[]): Promise<void> {
  if (commands.length === 0) return;
  const script = ['set -o pipefail'];
  commands.forEach((c, i) => {
    script.push(page.rewriteUrls(c.text));
    const next = commands[i + 1];
    if (next && /\$\?/.test(next.text)) return; // the next command inspects this one's status
    script.push(`__status=$?; if [ "$__status" -ne 0 ]; then echo "${FAILED_MARKER} ${i} $__status" >&2; exit "$__status"; fi`);
  });
  const first = commands[0]!;
  const child = new Child('bash', ['-c', script.join('\n')], { cwd: page.workDir, env: page.env() });
  const r = await child.wait(COMMAND_DEADLINE_MS * commands.length, `${block.file}:${first.line}: the commands from line ${first.line}`);
  const failed = new RegExp(`${FAILED_MARKER} (\\d+) (\\d+)`).exec(r.stderr);
  if (failed) {
    const c = commands[Number(failed[1])]!;
    throw new Error(`${block.file}:${c.line}: \`${c.text}\` exited with ${failed[2]}\n${child.output().replace(failed[0], '')}`);
  }
  if (r.code !== 0) throw new Error(`${block.file}:${first.line}: the commands from line ${first.line} exited with ${r.code ?? r.signal}\n${child.output()}`);
}

async function startBackground(page: Page, block: CodeBlock, command: ShellCommand): Promise<Background> {
  const at = `${block.file}:${command.line}: \`${command.text}\``;
  const text = page.rewriteUrls(command.text);
  if (/[|;&<>()`\n]/.test(text.replace(/'[^']*'|"[^"]*"/g, ''))) throw new Error(`${at}: a long-running command must be a simple command (no pipes, ;, && or redirections)`);
  const dataDir = join(page.root, `broker-L${command.line}`);
  // `exec` (after any VAR=value prefix): the command itself leads the process group and its exit code is checked.
  const parts = /^(\s*(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|\S*)\s+)*)([\s\S]*)$/.exec(text)!;
  let line = `${parts[1]!}exec ${parts[2]!}`;
  let extraEnv: Record<string, string> = {};
  if (command.kind === 'broker') line += ` --port 0 --data.dir '${dataDir}' --log.level info`;
  if (command.kind === 'npm-start') extraEnv = { STRATA_PORT: '0', STRATA_DATA_DIR: dataDir, STRATA_LOG_LEVEL: 'info', NX_DAEMON: 'false' };
  const child = new Child('bash', ['-c', line], { cwd: page.workDir, env: page.env(extraEnv) });
  if (command.kind !== 'follow') {
    try {
      await waitForBroker(child, command.kind === 'npm-start' ? NPM_START_READY_DEADLINE_MS : READY_DEADLINE_MS, at);
    } catch (error) {
      child.signalGroup('SIGKILL');
      throw error;
    }
  }
  return { command, child };
}

/**
 * Waits until a broker process logs "broker started", then until it answers GET /healthz at the
 * URL that line gives. An answer means its event loop has run past start-up, so it is ready for
 * clients and for signals.
 */
export async function waitForBroker(child: Child, deadlineMs: number, what: string): Promise<void> {
  const started = /\{[^\n]*"msg":"broker started"[^\n]*\}/;
  await child.waitFor((c) => started.test(c.stdout), deadlineMs, what);
  const line = JSON.parse(started.exec(child.stdout)![0]) as { url?: unknown };
  if (typeof line.url !== 'string') throw new Error(`${what}: "broker started" has no url\n${child.output()}`);
  const health = `${line.url.replace(/^ws/, 'http')}/healthz`;
  const response = await fetch(health, { signal: AbortSignal.timeout(READY_DEADLINE_MS) });
  if (!response.ok) throw new Error(`${what}: GET ${health} answered ${response.status}\n${child.output()}`);
}

async function stop(block: CodeBlock, { command, child }: Background): Promise<void> {
  const at = `${block.file}:${command.line}: \`${command.text}\``;
  if (command.kind === 'follow') {
    await child.waitFor((c) => c.stdout.trim().length > 0, FOLLOW_OUTPUT_DEADLINE_MS, `${at} (a --follow consumer must print a record before the end of the block)`);
  }
  if (child.hasExited) throw new Error(`${at} exited before the end of the block\n${child.output()}`);
  child.signalGroup('SIGTERM');
  const r = await child.wait(STOP_DEADLINE_MS, `${at} after SIGTERM`);
  const leader = commandWords(command.text)[0] ?? '';
  if (command.kind === 'follow') {
    if (r.code !== 0 && !(isNpm(leader) && r.signal === 'SIGTERM')) throw new Error(`${at} exited with ${r.code ?? r.signal} after SIGTERM (expected 0)\n${child.output()}`);
    return;
  }
  assertBrokerStopped(at, leader, r);
}

/**
 * A broker stopped by SIGTERM to its process group must shut down cleanly: log "broker stopped"
 * and exit 0. When npm or npx leads the group, npm itself dies of the SIGTERM (as after Ctrl-C in a
 * terminal), so its exit is by that signal; the broker's clean shutdown is what counts.
 */
export function assertBrokerStopped(what: string, leader: string, r: ProcessResult): void {
  const output = `--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
  if (!r.stdout.includes('"msg":"broker stopped"')) throw new Error(`${what}: the broker did not log "broker stopped" after SIGTERM\n${output}`);
  if (r.code !== 0 && !(isNpm(leader) && r.signal === 'SIGTERM')) throw new Error(`${what} exited with ${r.code ?? r.signal} after SIGTERM (expected 0)\n${output}`);
}

/** npm and npx die of a SIGTERM sent to their process group whatever their child does. */
function isNpm(leader: string): boolean {
  return leader === 'npm' || leader === 'npx';
}

/** The words of `text` without leading VAR=value assignments. */
function commandWords(text: string): string[] {
  const words = text.trim().split(/\s+/);
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words.shift();
  return words;
}
