/**
 * `strata console`: serves the web console on this machine for the brokers given with --brokers,
 * prints its URL, and runs until SIGINT/SIGTERM (exit code 0). It first connects to the brokers, so
 * an unreachable cluster fails at once (exit code 3) rather than in the browser.
 */
import { Option, type Command } from 'commander';
import { CliUsageError } from '../core/cli-errors';
import { integer } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';
import { consoleDir, startConsoleServer } from '../console/console-server';

interface ConsoleOptions {
  host: string;
  port: number;
}

export function registerConsoleCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('console')
    .description('serve the web console for the brokers on this machine and print its URL (Ctrl-C stops it)')
    .addOption(new Option('--host <host>', 'interface the console listens on').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port the console listens on (0: a free one)').default(8080).argParser(integer(0, 65535)))
    .addHelpText('after', '\nExamples:\n  strata console\n  strata --brokers ws://broker-1:9092,ws://broker-2:9092 console --port 0')
    .action(runtime.action((ctx, options: ConsoleOptions) => serveConsole(ctx, options), { interruptible: true }));
}

async function serveConsole(ctx: CommandContext, options: ConsoleOptions): Promise<void> {
  const dir = consoleDir();
  if (dir === null) throw new CliUsageError('the web console is not installed: install @strata/console (in the Strata repository: npm run build)');
  await ctx.admin(); // fails with exit code 3 when no broker answers
  const server = await startConsoleServer({ dir, brokers: ctx.options.brokers, host: options.host, port: options.port });
  try {
    if (ctx.options.json) await ctx.out.json({ url: server.url, brokers: ctx.options.brokers });
    else await ctx.out.line(`Strata console for ${ctx.options.brokers.join(', ')}: ${server.url}`);
    await ctx.out.flush();
    if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await server.close();
  }
}
