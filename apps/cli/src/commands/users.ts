/**
 * `strata users create|set-password|list|delete`: SCRAM users through the SDK's Admin. The new
 * password is read from standard input (first line), never from the command line; the SDK derives
 * the SCRAM keys, so the password never reaches the broker.
 */
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import type { ScramMechanismOption } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';
import { formatTable } from '../core/output';
import type { CliRuntime, CommandContext } from '../core/runtime';

interface PasswordOptions {
  mechanism?: ScramMechanismOption[];
  iterations?: number;
}

const MECHANISMS: readonly ScramMechanismOption[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

function mechanism(value: string, previous: ScramMechanismOption[] = []): ScramMechanismOption[] {
  const m = MECHANISMS.find((x) => x === value.toUpperCase());
  if (!m) throw new InvalidArgumentError(`unknown mechanism "${value}": expected ${MECHANISMS.join(' or ')}`);
  return [...previous, m];
}

function iterations(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 4096) throw new InvalidArgumentError('expected an integer of at least 4096.');
  return n;
}

/** Registers `strata users` and its subcommands on `program`. */
export function registerUsersCommand(program: Command, runtime: CliRuntime): void {
  const users = program.command('users').description('create, list and delete SCRAM users (the broker keeps salted keys, never passwords)');
  const passwordOptions = (c: Command) =>
    c
      .addOption(new Option('--mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default: both)').argParser(mechanism))
      .addOption(new Option('--iterations <n>', 'PBKDF2 iterations (at least 4096; default 8192)').argParser(iterations))
      .addHelpText('after', '\nThe password is read from standard input, e.g.:\n  printf %s "$PASSWORD" | strata users create alice');

  passwordOptions(users.command('create').description('create a user (its password from standard input)').addArgument(new Argument('<user>', 'the user name'))).action(
    runtime.action((ctx, user: string, options: PasswordOptions) => setPassword(ctx, user, options, 'created')),
  );
  passwordOptions(users.command('set-password').description("replace a user's password (from standard input)").addArgument(new Argument('<user>', 'the user name'))).action(
    runtime.action((ctx, user: string, options: PasswordOptions) => setPassword(ctx, user, options, 'updated')),
  );
  users
    .command('list')
    .alias('ls')
    .description('list users and the mechanisms of their credentials')
    .action(runtime.action((ctx) => listUsers(ctx)));
  users
    .command('delete')
    .description("delete a user's credentials")
    .addArgument(new Argument('<user>', 'the user name'))
    .addOption(new Option('--mechanism <mechanism>', 'only this mechanism\'s credential').argParser(mechanism))
    .action(runtime.action((ctx, user: string, options: PasswordOptions) => deleteUser(ctx, user, options)));
}

async function readPassword(ctx: CommandContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') throw new CliUsageError('no password on standard input (pipe it in: printf %s "$PASSWORD" | strata users create <user>)');
  return password;
}

async function setPassword(ctx: CommandContext, user: string, options: PasswordOptions, verb: string): Promise<void> {
  const password = await readPassword(ctx);
  const admin = await ctx.admin();
  await admin.upsertUser({ user, password, ...(options.mechanism ? { mechanisms: options.mechanism } : {}), ...(options.iterations ? { iterations: options.iterations } : {}) });
  if (ctx.options.json) await ctx.out.json({ user, result: verb });
  else await ctx.out.line(`user ${user} ${verb}`);
}

async function listUsers(ctx: CommandContext): Promise<void> {
  const admin = await ctx.admin();
  const users = await admin.describeUsers();
  if (ctx.options.json) return ctx.out.json(users);
  await ctx.out.write(formatTable(['USER', 'MECHANISMS'], users.map((u) => [u.user, u.credentials.map((c) => `${c.mechanism} (${c.iterations})`).join(', ')])));
}

async function deleteUser(ctx: CommandContext, user: string, options: PasswordOptions): Promise<void> {
  const admin = await ctx.admin();
  await admin.deleteUser({ user, ...(options.mechanism?.[0] ? { mechanism: options.mechanism[0] } : {}) });
  if (ctx.options.json) await ctx.out.json({ user, result: 'deleted' });
  else await ctx.out.line(`user ${user} deleted`);
}
