/**
 * `strata partitions skip-corrupt`: moves consumers past damaged storage. The broker leading each
 * partition rewrites its damaged segments without their damaged batches (keeping the originals
 * beside the log as `*.corrupt-<time>`) and reports the offsets lost (docs/operations.md).
 */
import { Argument, type Command } from 'commander';
import { formatTable } from '../core/output';
import { collect, integer, topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';

/** Registers `strata partitions` and its subcommands on `program`. */
export function registerPartitionsCommand(program: Command, runtime: CliRuntime): void {
  const partitions = program.command('partitions').description('repair partitions whose storage is damaged');

  partitions
    .command('skip-corrupt')
    .description("rewrite a topic's damaged segments without their damaged batches, so consumers move past them (the offsets there are lost)")
    .addArgument(new Argument('<topic>', 'the topic').argParser(topicName))
    .addArgument(new Argument('[partition...]', 'partitions to repair (default: every partition)').argParser(collect(integer(0, 1_000_000))))
    .addHelpText('after', '\nThe broker logs which file and position is damaged ("damaged record batch ...").\nExample:\n  strata partitions skip-corrupt orders 3')
    .action(runtime.action((ctx, topic: string, list: number[] | undefined) => skipCorrupt(ctx, topic, list)));
}

async function skipCorrupt(ctx: CommandContext, topic: string, list: number[] | undefined): Promise<void> {
  const admin = await ctx.admin();
  const results = await admin.skipCorrupt(topic, list);
  if (ctx.options.json) {
    await ctx.out.json({ topic, partitions: results });
    return;
  }
  await ctx.out.line(
    formatTable(
      ['PARTITION', 'SCANNED', 'REPAIRED', 'LOST-OFFSETS', 'BYTES-DROPPED'],
      results.map((r) => [String(r.partition), String(r.scannedSegments), String(r.repairedSegments), r.lost.map((l) => (l.from === l.to ? `${l.from}` : `${l.from}-${l.to}`)).join(',') || '-', String(r.bytesDropped)]),
    ),
  );
}
