/**
 * `strata cluster describe|elect-leaders`: the cluster as the controller sees it (brokers, the
 * controller, under-replicated and offline partitions) and preferred-leader elections.
 */
import { Argument, Option, type Command } from 'commander';
import { formatTable } from '../core/output';
import { topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';

interface ElectOptions {
  unclean?: boolean;
}

/** Registers `strata cluster` and its subcommands on `program`. */
export function registerClusterCommand(program: Command, runtime: CliRuntime): void {
  const cluster = program.command('cluster').description('describe the cluster and move partition leaders');

  cluster
    .command('describe')
    .description('show brokers, the controller, and under-replicated and offline partitions')
    .action(runtime.action((ctx) => describe(ctx)));

  cluster
    .command('elect-leaders')
    .description("move each partition's leadership back to its preferred (first) replica when it is in sync")
    .addArgument(new Argument('[topic]', 'only this topic (default: every topic)').argParser(topicName))
    .addOption(new Option('--unclean', 'for partitions without a leader, elect any live replica even outside the ISR (acknowledged records may be lost)'))
    .addHelpText('after', '\nExample:\n  strata cluster elect-leaders orders')
    .action(runtime.action((ctx, topic: string | undefined, options: ElectOptions) => elect(ctx, topic, options)));
}

async function describe(ctx: CommandContext): Promise<void> {
  const admin = await ctx.admin();
  const c = await admin.describeCluster();
  if (ctx.options.json) {
    await ctx.out.json(c);
    return;
  }
  await ctx.out.line(`Cluster: ${c.clusterId}  controller: ${c.controller < 0 ? 'none' : c.controller} (epoch ${c.controllerEpoch})  partitions: ${c.partitionCount}`);
  await ctx.out.line(formatTable(['BROKER', 'URL', 'RACK', 'EPOCH', 'CONTROLLER'], c.brokers.map((b) => [String(b.nodeId), b.url, b.rack ?? '-', String(b.epoch), b.nodeId === c.controller ? 'yes' : ''])));
  const rows = [...c.offline.map((p) => ({ ...p, state: 'offline' })), ...c.underReplicated.map((p) => ({ ...p, state: 'under-replicated' }))];
  if (rows.length === 0) {
    await ctx.out.line('every partition is fully replicated');
    return;
  }
  await ctx.out.line(
    formatTable(
      ['TOPIC', 'PARTITION', 'STATE', 'LEADER', 'REPLICAS', 'ISR'],
      rows.map((p) => [p.topic, String(p.partition), p.state, p.leader < 0 ? 'none' : String(p.leader), p.replicas.join(','), p.isr.join(',')]),
    ),
  );
}

async function elect(ctx: CommandContext, topic: string | undefined, options: ElectOptions): Promise<void> {
  const admin = await ctx.admin();
  const results = await admin.electLeaders({ type: options.unclean ? 'unclean' : 'preferred', ...(topic ? { topics: [{ topic }] } : {}) });
  if (ctx.options.json) {
    await ctx.out.json({ results: results.map((r) => ({ topic: r.topic, partition: r.partition, error: r.error?.code ?? null })) });
    return;
  }
  const moved = results.filter((r) => r.error === null);
  const failed = results.filter((r) => r.error !== null && r.error.code !== 'ELECTION_NOT_NEEDED');
  await ctx.out.line(`${moved.length} leaderships moved, ${results.length - moved.length - failed.length} already preferred, ${failed.length} not possible`);
  if (failed.length > 0) await ctx.out.line(formatTable(['TOPIC', 'PARTITION', 'REASON'], failed.map((r) => [r.topic, String(r.partition), r.error!.message])));
}
