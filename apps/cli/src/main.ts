#!/usr/bin/env node
/**
 * The `strata` command. This file only wires things together: the root command with the global
 * options, one register function per command group (src/commands/*.ts), and the mapping of
 * commander's own outcomes (help, version, usage errors) to exit codes.
 *
 * Adding a command group (`strata groups ...`, `strata perf ...`): write src/commands/<name>.ts
 * exporting `register<Name>Command(program, runtime)` and call it below.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerClusterCommand } from './commands/cluster';
import { registerConsoleCommand } from './commands/console';
import { registerConsumeCommand } from './commands/consume';
import { registerGroupsCommand } from './commands/groups';
import { registerPartitionsCommand } from './commands/partitions';
import { registerPerfCommand } from './commands/perf';
import { registerProduceCommand } from './commands/produce';
import { registerStorageCommand } from './commands/storage';
import { registerTopicsCommand } from './commands/topics';
import { registerUsersCommand } from './commands/users';
import { registerAclsCommand } from './commands/acls';
import { ExitCode } from './core/exit-codes';
import { addGlobalOptions } from './core/global-options';
import { CliRuntime } from './core/runtime';

/** Builds the root command. Exported for tests of the wiring. */
export function buildProgram(runtime: CliRuntime): Command {
  const program = new Command('strata')
    .description('Command-line client of the Strata commit-log broker')
    .version(cliVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes:
  0  success
  1  the broker failed the operation (the error code name and message are printed)
  2  usage error: bad arguments or options
  3  cannot connect to any broker

Environment:
  STRATA_BROKERS    default for --brokers
  STRATA_CLIENT_ID  default for --client-id
  STRATA_USERNAME, STRATA_SASL_MECHANISM, STRATA_TLS_CA, STRATA_TLS_CERT, STRATA_TLS_KEY
                    defaults for --username, --sasl-mechanism and --tls-*
  STRATA_PASSWORD   the SASL password (never given as an option)
  STRATA_DEBUG=1    print SDK logs and stack traces on stderr`,
    );
  addGlobalOptions(program);
  registerTopicsCommand(program, runtime);
  registerProduceCommand(program, runtime);
  registerConsumeCommand(program, runtime);
  registerGroupsCommand(program, runtime);
  registerPerfCommand(program, runtime);
  registerClusterCommand(program, runtime);
  registerPartitionsCommand(program, runtime);
  registerStorageCommand(program, runtime);
  registerConsoleCommand(program, runtime);
  registerUsersCommand(program, runtime);
  registerAclsCommand(program, runtime);
  return program;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and resolves with the exit code. */
export async function runCli(runtime: CliRuntime, argv: readonly string[]): Promise<number> {
  const program = buildProgram(runtime);
  try {
    await program.parseAsync([...argv]);
    return runtime.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the help, the version or the usage error already.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    throw error;
  }
}

function cliVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    if (pkg && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through
  }
  return 'unknown';
}

/** Runs the `strata` command with this process's arguments and streams, then exits. */
export function main(): void {
  const runtime = new CliRuntime({
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    exit: (code) => process.exit(code),
  });
  runCli(runtime, process.argv).then(
    (code) => runtime.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      if (runtime.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
      return runtime.exit(ExitCode.FAILED);
    },
  );
}

if (require.main === module) main();
