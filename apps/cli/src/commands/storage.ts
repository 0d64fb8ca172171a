/**
 * `strata storage verify <data.dir>`: checks a broker's data folder offline (best with the broker
 * stopped): every segment's batches (CRC, offsets), index entries, metadata files. Prints what is
 * damaged and exits 1 when anything is; reads only, never changes a byte.
 */
import { resolve } from 'node:path';
import { Argument, type Command } from 'commander';
import { ERRORS, StrataError } from '@strata/client';
import { verifyDataDir } from '@strata/broker';
import type { CliRuntime, CommandContext } from '../core/runtime';

/** Registers `strata storage` and its subcommands on `program`. */
export function registerStorageCommand(program: Command, runtime: CliRuntime): void {
  const storage = program.command('storage').description("check a broker's data folder");

  storage
    .command('verify')
    .description('check every segment (CRC, offsets), index and metadata file of a data folder; exit 1 when something is damaged')
    .addArgument(new Argument('<data-dir>', "the broker's data.dir"))
    .addHelpText('after', '\nNeeds no broker (reads the files directly). Example:\n  strata storage verify ./data')
    .action(runtime.action((ctx, dataDir: string) => verify(ctx, dataDir)));
}

async function verify(ctx: CommandContext, dataDir: string): Promise<void> {
  const report = await verifyDataDir(resolve(dataDir));
  const problems = report.fileProblems.length + report.partitions.reduce((n, p) => n + p.problems.length, 0);
  if (ctx.options.json) {
    await ctx.out.json(report);
  } else {
    if (report.locked) ctx.out.note('note: a broker seems to be running on this folder (.lock); its active segments may be changing');
    for (const f of report.fileProblems) await ctx.out.line(`DAMAGED ${f}`);
    for (const p of report.partitions) {
      await ctx.out.line(`${p.problems.length === 0 ? 'ok     ' : 'DAMAGED'} ${p.partition}: ${p.segments} segments, ${p.batches} batches, ${p.bytes} bytes`);
      for (const problem of p.problems) await ctx.out.line(`        ${problem.kind} ${problem.file}: ${problem.detail}`);
    }
    await ctx.out.line(`${report.partitions.length} partitions checked, ${problems} problems`);
  }
  if (problems > 0) throw new StrataError(ERRORS.KAFKA_STORAGE_ERROR, `${problems} problems found in ${report.dataDir}`);
}
