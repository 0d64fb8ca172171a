/**
 * The CLI runtime: the process's streams and environment, and `action()`, which turns a command
 * handler into a commander action with everything a command needs around it:
 * - a CommandContext (global options, output, connected SDK components, an abort signal);
 * - SIGINT/SIGTERM handling: streaming commands (`interruptible`) get the signal aborted and end
 *   cleanly with exit code 0; one-shot commands exit at once with 130/143; a second signal always
 *   exits at once;
 * - a closed stdout (EPIPE) aborts the signal too, and the command ends with exit code 0;
 * - every failure mapped to one stderr line and an exit code (see describeFailure);
 * - every SDK component disconnected at the end.
 *
 * The SDK's own timers do not keep Node alive, so an action holds a referenced timer while it runs:
 * the process cannot drain its event loop and exit in the middle of an SDK retry backoff.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { Strata, type Admin, type Consumer, type ConsumerOptions, type Logger, type Producer, type ProducerOptions, type StrataOptions } from '@strata/client';
import { CliUsageError, describeFailure } from './cli-errors';
import { connectWithin, type Connectable } from './connect';
import { ExitCode, type ExitCodeValue } from './exit-codes';
import { readGlobalOptions, type GlobalOptions } from './global-options';
import { Output, type OutputStreams } from './output';

/** What a command handler gets. */
export interface CommandContext {
  readonly options: GlobalOptions;
  readonly out: Output;
  /** Standard input (produce reads records from it). */
  readonly stdin: Readable;
  /** Aborted on SIGINT/SIGTERM (reason: the signal name) or when stdout is closed (reason: 'EPIPE'). */
  readonly signal: AbortSignal;
  /** A connected admin client. */
  admin(): Promise<Admin>;
  /** A connected producer. */
  producer(options?: ProducerOptions): Promise<Producer>;
  /** A connected consumer. */
  consumer(options?: ConsumerOptions): Promise<Consumer>;
}

export interface ActionOptions {
  /** The command watches `ctx.signal` and ends cleanly on SIGINT/SIGTERM (exit code 0). */
  interruptible?: boolean;
}

export interface RuntimeOptions extends OutputStreams {
  stdin: Readable;
  env: Readonly<Record<string, string | undefined>>;
  /** Ends the process (process.exit in production). */
  exit: (code: number) => never;
}

export class CliRuntime {
  /** Exit code of the last action (0 until one fails). */
  exitCode: ExitCodeValue = ExitCode.OK;
  readonly out: Output;
  readonly debug: boolean;

  constructor(private readonly io: RuntimeOptions) {
    this.out = new Output(io);
    this.debug = io.env['STRATA_DEBUG'] === '1';
  }

  /** Ends the process with `code` once stdout is flushed. */
  async exit(code: number): Promise<never> {
    await this.out.flush();
    return this.io.exit(code);
  }

  /**
   * Wraps a handler as a commander action. Commander calls actions with the parsed arguments, then
   * the options object, then the command; the handler gets the same, after the context.
   */
  action<A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<void>, options: ActionOptions = {}): (...args: A) => Promise<void> {
    const run = (command: Command, args: A): Promise<void> => this.run(command, options, (ctx) => handler(ctx, ...args));
    // A function expression, not an arrow: commander passes the command as `this`.
    return async function (this: Command, ...args: A): Promise<void> {
      await run(this, args);
    };
  }

  private async run(command: Command, options: ActionOptions, body: (ctx: CommandContext) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const components: Connectable[] = [];
    const global = readGlobalOptions(command);
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!options.interruptible || controller.signal.aborted) {
        this.io.exit(signal === 'SIGINT' ? ExitCode.SIGINT : ExitCode.SIGTERM);
      }
      controller.abort(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const removeBrokenPipe = this.out.onBrokenPipe(() => controller.abort('EPIPE'));

    let client: Strata | undefined;
    const strata = (): Strata =>
      (client ??= new Strata({
        brokers: global.brokers,
        clientId: global.clientId,
        requestTimeoutMs: global.timeoutMs,
        connectionTimeoutMs: Math.min(global.timeoutMs, 10_000),
        logger: this.debug ? stderrLogger(this.out) : undefined,
        logLevel: 'nothing',
        ...securityOptions(global, this.io.env),
      }));
    const connected = async <T extends Connectable>(component: T): Promise<T> => {
      components.push(component);
      await connectWithin(component, global.brokers, global.timeoutMs);
      return component;
    };
    const ctx: CommandContext = {
      options: global,
      out: this.out,
      stdin: this.io.stdin,
      signal: controller.signal,
      admin: () => connected(strata().admin()),
      producer: (o) => connected(strata().producer(o)),
      consumer: (o) => connected(strata().consumer(o)),
    };

    try {
      await body(ctx);
      await this.out.flush();
    } catch (error) {
      if (!this.out.isBroken) this.fail(error, command);
    } finally {
      for (const component of components.reverse()) await component.disconnect().catch(() => undefined);
      removeBrokenPipe();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearInterval(keepAlive);
    }
  }

  private fail(error: unknown, command: Command): void {
    const failure = describeFailure(error, commandPath(command));
    for (const line of failure.lines) this.out.note(line);
    if (this.debug && error instanceof Error && error.stack) this.out.note(error.stack);
    this.exitCode = failure.exitCode;
  }
}

/** `strata topics create`: the names from the root to `command`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The SDK's sasl and tls options from the global options and STRATA_PASSWORD. */
function securityOptions(global: GlobalOptions, env: Readonly<Record<string, string | undefined>>): Pick<StrataOptions, 'sasl' | 'tls'> {
  const out: Pick<StrataOptions, 'sasl' | 'tls'> = {};
  if (global.saslMechanism) {
    const password = env['STRATA_PASSWORD'];
    if (!global.username) throw new CliUsageError('--sasl-mechanism needs --username (or STRATA_USERNAME)');
    if (password === undefined) throw new CliUsageError('--sasl-mechanism needs the password in the STRATA_PASSWORD environment variable');
    out.sasl = { mechanism: global.saslMechanism, username: global.username, password };
  }
  if (global.tlsCa || global.tlsCert || global.tlsKey) {
    const read = (file: string | undefined) => (file ? readFileSync(file, 'utf8') : undefined);
    out.tls = { ...(global.tlsCa ? { ca: read(global.tlsCa) } : {}), ...(global.tlsCert ? { cert: read(global.tlsCert) } : {}), ...(global.tlsKey ? { key: read(global.tlsKey) } : {}) };
  }
  return out;
}

/** SDK log lines on stderr (STRATA_DEBUG=1 only: stdout carries data). */
function stderrLogger(out: Output): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    out.note(`[strata] ${level} ${message}${fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : ''}`);
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  } catch {
    return String(value);
  }
}
