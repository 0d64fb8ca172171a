/**
 * `strata acls add|list|remove`: access control entries through the SDK's Admin, in Kafka's
 * terms: a principal may (allow) or may not (deny) perform an operation on a topic, group or the
 * cluster, named literally or by prefix, from a host.
 */
import { Option, type Command } from 'commander';
import type { Acl, AclFilter } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';
import { formatTable } from '../core/output';
import type { CliRuntime, CommandContext } from '../core/runtime';

interface AclOptions {
  principal?: string;
  topic?: string;
  group?: string;
  cluster?: boolean;
  prefixed?: boolean;
  operation?: string;
  deny?: boolean;
  host?: string;
}

const OPERATIONS = ['all', 'read', 'write', 'create', 'delete', 'alter', 'describe', 'cluster-action', 'describe-configs', 'alter-configs', 'idempotent-write'];

function aclOptions(c: Command, forFilter: boolean): Command {
  return c
    .addOption(new Option('--principal <principal>', 'User:<name>, or User:* for everyone'))
    .addOption(new Option('--topic <name>', 'a topic (or * for every topic)').conflicts(['group', 'cluster']))
    .addOption(new Option('--group <name>', 'a consumer group (or *)').conflicts(['cluster']))
    .addOption(new Option('--cluster', 'the cluster itself (ACL and user administration, idempotent writes)'))
    .addOption(new Option('--prefixed', 'the name is a prefix: the ACL covers every resource whose name starts with it'))
    .addOption(new Option('--operation <operation>', `what is allowed or denied: ${OPERATIONS.join(', ')}`).choices(OPERATIONS))
    .addOption(new Option('--deny', forFilter ? 'only DENY entries' : 'deny instead of allow (a deny wins over any allow)'))
    .addOption(new Option('--host <address>', 'only from this client address (default: any)'));
}

/** Registers `strata acls` and its subcommands on `program`. */
export function registerAclsCommand(program: Command, runtime: CliRuntime): void {
  const acls = program.command('acls').description('add, list and remove access control entries (enforced with authorizer.enable=true)');
  aclOptions(acls.command('add').description('allow (or deny) a principal an operation on a resource'), false)
    .addHelpText('after', '\nExamples:\n  strata acls add --principal User:billing --topic orders- --prefixed --operation read\n  strata acls add --principal User:billing --group billing --operation read')
    .action(runtime.action((ctx, options: AclOptions) => addAcl(ctx, options)));
  aclOptions(acls.command('list').alias('ls').description('list the entries matching the options (all without options)'), true).action(
    runtime.action((ctx, options: AclOptions) => listAcls(ctx, options)),
  );
  aclOptions(acls.command('remove').description('remove every entry matching the options (at least one option)'), true).action(
    runtime.action((ctx, options: AclOptions) => removeAcls(ctx, options)),
  );
}

function resource(o: AclOptions): Pick<Acl, 'resourceType' | 'resourceName'> | null {
  if (o.topic !== undefined) return { resourceType: 'TOPIC', resourceName: o.topic };
  if (o.group !== undefined) return { resourceType: 'GROUP', resourceName: o.group };
  if (o.cluster) return { resourceType: 'CLUSTER', resourceName: 'strata-cluster' };
  return null;
}

const wireOperation = (op: string): Acl['operation'] => op.toUpperCase().replace(/-/g, '_') as Acl['operation']; // one of OPERATIONS (commander checked)

function filterOf(o: AclOptions): AclFilter {
  const f: AclFilter = { ...(resource(o) ?? {}) };
  if (o.principal) f.principal = o.principal;
  if (o.prefixed) f.patternType = 'PREFIXED';
  if (o.operation) f.operation = wireOperation(o.operation);
  if (o.deny) f.permission = 'DENY';
  if (o.host) f.host = o.host;
  return f;
}

async function addAcl(ctx: CommandContext, o: AclOptions): Promise<void> {
  const r = resource(o);
  if (!r) throw new CliUsageError('name a resource: --topic <name>, --group <name> or --cluster');
  if (!o.principal) throw new CliUsageError('--principal is required (User:<name> or User:*)');
  if (!o.operation) throw new CliUsageError('--operation is required');
  const acl: Acl = { ...r, principal: o.principal, operation: wireOperation(o.operation), patternType: o.prefixed ? 'PREFIXED' : 'LITERAL', permission: o.deny ? 'DENY' : 'ALLOW', host: o.host ?? '*' };
  const admin = await ctx.admin();
  await admin.createAcls({ acls: [acl] });
  if (ctx.options.json) await ctx.out.json(acl);
  else await ctx.out.line(`added: ${describe(acl)}`);
}

function describe(a: Acl): string {
  return `${a.permission ?? 'ALLOW'} ${a.principal} ${a.operation} on ${a.resourceType} ${a.patternType === 'PREFIXED' ? `${a.resourceName}*` : a.resourceName} from ${a.host ?? '*'}`;
}

async function listAcls(ctx: CommandContext, o: AclOptions): Promise<void> {
  const admin = await ctx.admin();
  const acls = await admin.describeAcls({ filter: filterOf(o) });
  if (ctx.options.json) return ctx.out.json(acls);
  await ctx.out.write(
    formatTable(
      ['PRINCIPAL', 'PERMISSION', 'OPERATION', 'RESOURCE', 'NAME', 'PATTERN', 'HOST'],
      acls.map((a) => [a.principal, a.permission ?? 'ALLOW', a.operation, a.resourceType, a.resourceName, a.patternType ?? 'LITERAL', a.host ?? '*']),
    ),
  );
}

async function removeAcls(ctx: CommandContext, o: AclOptions): Promise<void> {
  const filter = filterOf(o);
  if (Object.keys(filter).length === 0) throw new CliUsageError('give at least one option to say which entries to remove');
  const admin = await ctx.admin();
  const removed = await admin.deleteAcls({ filters: [filter] });
  if (ctx.options.json) return ctx.out.json(removed);
  await ctx.out.line(`removed ${removed.length} ${removed.length === 1 ? 'entry' : 'entries'}`);
  for (const a of removed) await ctx.out.line(`  ${describe(a)}`);
}
