/**
 * `strata groups list|describe|reset-offsets|delete`: consumer-group administration through the
 * SDK's Admin.
 */
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { ERRORS, StrataError, type GroupDescriptionInfo, type GroupState, type ResetOffsetsTarget } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';
import { formatTable } from '../core/output';
import { collect, topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';

const STATES: readonly GroupState[] = ['empty', 'reconciling', 'stable', 'assigning', 'dead'];

interface ListOptions {
  state?: GroupState[];
}

interface ResetOptions {
  toEarliest?: boolean;
  toLatest?: boolean;
  toTimestamp?: number;
  toOffset?: Array<{ partition: number; offset: number }>;
}

interface DeleteOptions {
  ifExists?: boolean;
}

/** Registers `strata groups` and its subcommands on `program`. */
export function registerGroupsCommand(program: Command, runtime: CliRuntime): void {
  const groups = program.command('groups').description('list, describe, reset the offsets of, and delete consumer groups');

  groups
    .command('list')
    .alias('ls')
    .description('list consumer groups with their state and number of members')
    .addOption(new Option('-s, --state <state>', `only groups in this state (repeatable): ${STATES.join(', ')}`).argParser(collect(groupState)))
    .action(runtime.action((ctx, options: ListOptions) => listGroups(ctx, options)));

  groups
    .command('describe')
    .description('show members, assignments, committed offsets and lag of groups')
    .addArgument(new Argument('<group...>', 'groups to describe'))
    .action(runtime.action((ctx, ids: string[]) => describeGroups(ctx, ids)));

  groups
    .command('reset-offsets')
    .description("set a group's committed offsets of a topic (the group must have no active members)")
    .addArgument(new Argument('<group>', 'the group'))
    .addArgument(new Argument('<topic>', 'the topic whose offsets to set').argParser(topicName))
    .addOption(new Option('--to-earliest', 'the first offset still in each partition').conflicts(['toLatest', 'toTimestamp', 'toOffset']))
    .addOption(new Option('--to-latest', 'the end of each partition: skip everything there is').conflicts(['toTimestamp', 'toOffset']))
    .addOption(new Option('--to-timestamp <time>', 'the first record at or after this time (ms since the epoch, or an ISO date) in each partition').argParser(timestamp).conflicts(['toOffset']))
    .addOption(new Option('--to-offset <partition:offset>', 'this offset in this partition (repeatable; other partitions keep theirs)').argParser(collect(partitionOffset)))
    .addHelpText('after', '\nExamples:\n  strata groups reset-offsets billing orders --to-earliest\n  strata groups reset-offsets billing orders --to-offset 0:42 --to-offset 1:40')
    .action(runtime.action((ctx, group: string, topic: string, options: ResetOptions) => resetOffsets(ctx, group, topic, options)));

  groups
    .command('delete')
    .description('delete groups without active members, with their committed offsets')
    .addArgument(new Argument('<group...>', 'groups to delete'))
    .option('--if-exists', 'succeed for groups that do not exist')
    .action(runtime.action((ctx, ids: string[], options: DeleteOptions) => deleteGroups(ctx, ids, options)));
}

function groupState(value: string): GroupState {
  const state = STATES.find((s) => s === value.toLowerCase());
  if (!state) throw new InvalidArgumentError(`expected one of ${STATES.join(', ')}.`);
  return state;
}

function timestamp(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected milliseconds since the epoch or an ISO date such as 2026-01-31T12:00:00Z.');
  return n;
}

function partitionOffset(value: string): { partition: number; offset: number } {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected partition:offset, e.g. 0:42.');
  const partition = Number(m[1]);
  const offset = Number(m[2]);
  if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) throw new InvalidArgumentError('number too large.');
  return { partition, offset };
}

async function listGroups(ctx: CommandContext, options: ListOptions): Promise<void> {
  const admin = await ctx.admin();
  const groups = (await admin.listGroups({ states: options.state ?? [] })).sort((a, b) => a.groupId.localeCompare(b.groupId));
  if (ctx.options.json) await ctx.out.json({ groups });
  else if (groups.length > 0) await ctx.out.line(formatTable(['GROUP', 'STATE', 'MEMBERS'], groups.map((g) => [g.groupId, g.state, String(g.members)])));
}

async function describeGroups(ctx: CommandContext, ids: string[]): Promise<void> {
  const admin = await ctx.admin();
  const groups = await admin.describeGroups([...new Set(ids)]);
  const missing = groups.filter((g) => g.state === 'dead');
  if (missing.length > 0) throw new StrataError(ERRORS.GROUP_ID_NOT_FOUND, `group "${missing[0]!.groupId}" does not exist`);
  if (ctx.options.json) await ctx.out.json({ groups });
  else await ctx.out.write(groups.map(formatGroup).join('\n'));
}

async function resetOffsets(ctx: CommandContext, group: string, topic: string, options: ResetOptions): Promise<void> {
  let to: ResetOffsetsTarget;
  if (options.toEarliest) to = 'earliest';
  else if (options.toLatest) to = 'latest';
  else if (options.toTimestamp !== undefined) to = { timestamp: options.toTimestamp };
  else if (options.toOffset && options.toOffset.length > 0) to = { partitions: options.toOffset };
  else throw new CliUsageError('say where to: --to-earliest, --to-latest, --to-timestamp <time> or --to-offset <partition:offset>');
  const admin = await ctx.admin();
  const offsets = await admin.resetOffsets({ groupId: group, topic, to });
  if (ctx.options.json) await ctx.out.json({ group, topic, offsets });
  else await ctx.out.line(formatTable(['PARTITION', 'NEW-OFFSET'], offsets.map((o) => [String(o.partition), String(o.offset)])));
}

async function deleteGroups(ctx: CommandContext, ids: string[], options: DeleteOptions): Promise<void> {
  const admin = await ctx.admin();
  let targets = [...new Set(ids)];
  if (options.ifExists) {
    const existing = new Set((await admin.listGroups()).map((g) => g.groupId));
    targets = targets.filter((g) => existing.has(g));
  }
  if (targets.length > 0) await admin.deleteGroups(targets);
  if (ctx.options.json) await ctx.out.json({ deleted: targets });
  else for (const g of targets) await ctx.out.line(`deleted group "${g}"`);
}

/** Text form of one group: a header line, its members, and its partitions with offsets and lag. */
export function formatGroup(g: GroupDescriptionInfo): string {
  const owner = new Map<string, string>();
  for (const m of g.members) for (const tp of m.assignment) owner.set(`${tp.topic}\u0000${tp.partition}`, m.memberId);
  const members =
    g.members.length === 0
      ? ['  (no members)']
      : formatTable(
          ['MEMBER', 'INSTANCE', 'CLIENT', 'EPOCH', 'PARTITIONS'],
          g.members.map((m) => [m.memberId, m.instanceId ?? '-', m.clientId || '-', String(m.memberEpoch), partitionList(m.assignment)]),
        )
          .split('\n')
          .map((l) => `  ${l}`);
  const offsets =
    g.offsets.length === 0
      ? ['  (no offsets)']
      : formatTable(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MEMBER'],
          g.offsets.map((o) => [o.topic, String(o.partition), o.committedOffset < 0 ? '-' : String(o.committedOffset), String(o.logEndOffset), o.lag < 0 ? '-' : String(o.lag), owner.get(`${o.topic}\u0000${o.partition}`) ?? '-']),
        )
          .split('\n')
          .map((l) => `  ${l}`);
  return [`Group: ${g.groupId}  state: ${g.state}  epoch: ${g.groupEpoch}  assignor: ${g.assignor}  members: ${g.members.length}  coordinator: ${g.coordinator}`, 'Members:', ...members, 'Offsets:', ...offsets, ''].join('\n');
}

function partitionList(tps: ReadonlyArray<{ topic: string; partition: number }>): string {
  if (tps.length === 0) return '-';
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  return [...byTopic].map(([topic, ps]) => `${topic}:${ps.sort((a, b) => a - b).join(',')}`).join(' ');
}
