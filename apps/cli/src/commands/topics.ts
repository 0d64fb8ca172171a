/**
 * `strata topics create|list|describe|delete`: topic administration through the SDK's Admin.
 */
import { Argument, Option, type Command } from 'commander';
import { StrataError, type TopicDescription } from '@strata/client';
import { CliUsageError } from '../core/cli-errors';
import { formatTable } from '../core/output';
import { collect, integer, keyValue, topicName } from '../core/parsers';
import type { CliRuntime, CommandContext } from '../core/runtime';

interface CreateOptions {
  partitions?: number;
  replicationFactor?: number;
  config?: Array<[string, string]>;
  ifNotExists?: boolean;
}

interface DeleteOptions {
  ifExists?: boolean;
}

interface AlterOptions {
  config?: Array<[string, string]>;
  deleteConfig?: string[];
  validateOnly?: boolean;
}

/** Registers `strata topics` and its subcommands on `program`. */
export function registerTopicsCommand(program: Command, runtime: CliRuntime): void {
  const topics = program.command('topics').description('create, list, describe, alter and delete topics');

  topics
    .command('create')
    .description('create a topic')
    .addArgument(new Argument('<topic>', 'topic name: 1-249 characters from [a-zA-Z0-9._-]').argParser(topicName))
    .addOption(new Option('-p, --partitions <n>', "number of partitions (default: the broker's num.partitions)").argParser(integer(1, 1_000_000)))
    .addOption(new Option('-r, --replication-factor <n>', "copies of each partition on different brokers of a cluster (default: the broker's default.replication.factor)").argParser(integer(1, 1000)))
    .addOption(new Option('-c, --config <key=value>', 'topic config override, e.g. segment.bytes=1048576 (repeatable)').argParser(collect(keyValue)))
    .option('--if-not-exists', 'succeed without changes if the topic already exists')
    .addHelpText('after', '\nExample:\n  strata topics create orders --partitions 3 --config segment.bytes=1048576')
    .action(runtime.action((ctx, topic: string, options: CreateOptions) => createTopic(ctx, topic, options)));

  topics
    .command('list')
    .alias('ls')
    .description('list topic names, one per line')
    .action(runtime.action((ctx) => listTopics(ctx)));

  topics
    .command('describe')
    .description('show partitions (offsets, high watermark, size) and configs of topics (default: all)')
    .addArgument(new Argument('[topic...]', 'topics to describe').argParser(collect(topicName)))
    .action(runtime.action((ctx, names: string[] | undefined) => describeTopics(ctx, names ?? [])));

  topics
    .command('alter')
    .description("change a topic's settings at run time (validated like creation, applied to every partition at once)")
    .addArgument(new Argument('<topic>', 'topic to change').argParser(topicName))
    .addOption(new Option('-c, --config <key=value>', 'give the topic its own value of a setting (repeatable)').argParser(collect(keyValue)))
    .addOption(new Option('-d, --delete-config <key>', 'remove the topic\'s own value: the broker default applies again (repeatable)').argParser(collect((v: string) => v)))
    .option('--validate-only', 'only check the changes')
    .addHelpText('after', '\nExample:\n  strata topics alter orders --config retention.ms=86400000 --delete-config segment.bytes')
    .action(runtime.action((ctx, topic: string, options: AlterOptions) => alterTopic(ctx, topic, options)));

  topics
    .command('delete')
    .description('delete topics and all their records')
    .addArgument(new Argument('<topic...>', 'topics to delete').argParser(collect(topicName)))
    .option('--if-exists', 'succeed for topics that do not exist')
    .action(runtime.action((ctx, names: string[], options: DeleteOptions) => deleteTopics(ctx, names, options)));
}

async function createTopic(ctx: CommandContext, topic: string, options: CreateOptions): Promise<void> {
  const admin = await ctx.admin();
  const configs = Object.fromEntries(options.config ?? []);
  let numPartitions: number;
  let created = true;
  try {
    const [result] = await admin.createTopics({
      topics: [
        {
          topic,
          ...(options.partitions === undefined ? {} : { numPartitions: options.partitions }),
          ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
          configs,
        },
      ],
      timeout: ctx.options.timeoutMs,
    });
    numPartitions = result?.numPartitions ?? options.partitions ?? 0;
  } catch (error) {
    if (!(options.ifNotExists && error instanceof StrataError && error.code === 'TOPIC_ALREADY_EXISTS')) throw error;
    created = false;
    const { topics } = await admin.describeTopics({ topics: [topic] });
    numPartitions = topics[0]?.partitions.length ?? 0;
  }
  if (ctx.options.json) await ctx.out.json({ topic, partitions: numPartitions, created });
  else await ctx.out.line(created ? `created topic "${topic}" with ${numPartitions} partition${plural(numPartitions)}` : `topic "${topic}" already exists`);
}

async function alterTopic(ctx: CommandContext, topic: string, options: AlterOptions): Promise<void> {
  const set = Object.fromEntries(options.config ?? []);
  const remove = options.deleteConfig ?? [];
  if (Object.keys(set).length === 0 && remove.length === 0) throw new CliUsageError('nothing to change: give --config key=value or --delete-config key');
  const admin = await ctx.admin();
  await admin.alterTopicConfigs({ topics: [{ topic, set, remove }], validateOnly: options.validateOnly ?? false });
  if (ctx.options.json) await ctx.out.json({ topic, set, removed: remove, validateOnly: options.validateOnly ?? false });
  else {
    const changes = [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...remove.map((k) => `${k} (default)`)].join(', ');
    await ctx.out.line(`${options.validateOnly ? 'valid' : 'changed'}: topic "${topic}": ${changes}`);
  }
}

async function listTopics(ctx: CommandContext): Promise<void> {
  const admin = await ctx.admin();
  const names = (await admin.listTopics()).sort();
  if (ctx.options.json) await ctx.out.json({ topics: names });
  else if (names.length > 0) await ctx.out.line(names.join('\n'));
}

async function describeTopics(ctx: CommandContext, names: string[]): Promise<void> {
  const admin = await ctx.admin();
  const { topics } = await admin.describeTopics({ topics: names });
  topics.sort((a, b) => a.name.localeCompare(b.name));
  if (ctx.options.json) {
    await ctx.out.json({ topics });
    return;
  }
  await ctx.out.write(topics.map(formatDescription).join('\n'));
}

async function deleteTopics(ctx: CommandContext, names: string[], options: DeleteOptions): Promise<void> {
  const admin = await ctx.admin();
  let targets = [...new Set(names)];
  if (options.ifExists) {
    const existing = new Set(await admin.listTopics());
    targets = targets.filter((t) => existing.has(t));
  }
  if (targets.length > 0) await admin.deleteTopics({ topics: targets, timeout: ctx.options.timeoutMs });
  if (ctx.options.json) await ctx.out.json({ deleted: targets });
  else for (const t of targets) await ctx.out.line(`deleted topic "${t}"`);
}

/** Text form of one topic: a header line, a partition table and the configs. */
export function formatDescription(topic: TopicDescription): string {
  const count = topic.partitions.length;
  const rows = topic.partitions.map((p) => [
    String(p.partition),
    p.leader < 0 ? 'none' : String(p.leader),
    p.replicas.join(',') || '-',
    p.isr.join(',') || '-',
    String(p.logStartOffset),
    String(p.logEndOffset),
    String(p.highWatermark),
    String(p.size),
    String(p.segmentCount),
  ]);
  const partitions = formatTable(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'START-OFFSET', 'END-OFFSET', 'HIGH-WATERMARK', 'SIZE-BYTES', 'SEGMENTS'], rows);
  const configWidth = Math.max(0, ...topic.configs.map((c) => c.name.length + c.value.length + 1));
  const configs = topic.configs.map((c) => `  ${`${c.name}=${c.value}`.padEnd(configWidth)}  (${c.isDefault ? 'default' : 'override'})`);
  return [
    `Topic: ${topic.name}${topic.isInternal ? ' (internal)' : ''}  partitions: ${count}`,
    indent(partitions),
    'Configs:',
    ...(configs.length > 0 ? configs : ['  (none)']),
    '',
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
