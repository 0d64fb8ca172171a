/**
 * Broker configuration: defaults < config file < environment (STRATA_*) < flags / embedded
 * options. Invalid values stop the broker at start-up with a message naming the setting, the
 * value, where it came from and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_FRAME_BYTES } from '@strata/protocol';
import {
  ConfigError,
  INT32_MAX,
  boolSetting,
  enumSetting,
  intSetting,
  numberSetting,
  stringSetting,
  validateSettings,
  type SettingDef,
  type SettingSource,
  type ValidationProblem,
} from './settings';

const DAY = 24 * 60 * 60 * 1000;

/** Group coordinator and committed-offset settings (docs/groups.md). */
const GROUP_SETTINGS: readonly SettingDef[] = [
  intSetting(
    'group.consumer.session.timeout.ms',
    45_000,
    1,
    INT32_MAX,
    'Session timeout of group members that do not ask for one: a member that sends no heartbeat for this long is removed and its partitions reassigned.',
  ),
  intSetting('group.consumer.min.session.timeout.ms', 6_000, 1, INT32_MAX, 'Smallest session timeout a member may ask for (smaller: INVALID_SESSION_TIMEOUT).'),
  intSetting('group.consumer.max.session.timeout.ms', 300_000, 1, INT32_MAX, 'Largest session timeout a member may ask for (larger: INVALID_SESSION_TIMEOUT).'),
  intSetting('group.consumer.heartbeat.interval.ms', 5_000, 1, INT32_MAX, 'Heartbeat interval the coordinator tells members of a settled group to use.'),
  intSetting(
    'group.consumer.reconciling.heartbeat.interval.ms',
    250,
    1,
    INT32_MAX,
    'Heartbeat interval told to a member while it has partitions to revoke or is waiting for partitions other members still hold, so hand-overs finish quickly.',
  ),
  intSetting(
    'group.consumer.rebalance.timeout.ms',
    300_000,
    1,
    INT32_MAX,
    'Rebalance timeout of members that do not ask for one: how long a member may take to release revoked partitions, and the largest poll_idle_ms it may report, before it is removed.',
  ),
  enumSetting('group.default.assignor', 'sticky', ['sticky', 'range', 'round-robin'] as const, 'Assignor of groups whose members do not name one (server_assignor).'),
  intSetting('group.max.size', 1000, 1, INT32_MAX, 'Most members one group may have; a member joining a full group gets GROUP_MAX_SIZE_REACHED.'),
  intSetting(
    'offsets.topic.num.partitions',
    1,
    1,
    1000,
    'Partitions of the internal __consumer_offsets topic, fixed when the broker first creates it. A group\'s commits all go to one partition.',
  ),
  intSetting('offsets.topic.segment.bytes', 100 * 1024 * 1024, 1024, INT32_MAX, 'segment.bytes of __consumer_offsets when it is created: smaller segments let compaction reclaim old commits sooner.'),
  intSetting('offsets.metadata.max.bytes', 4096, 0, 1024 * 1024, 'Longest metadata string an offset commit may carry (UTF-8 bytes); longer: INVALID_COMMIT_OFFSET_SIZE.'),
];

export const BROKER_SETTINGS: readonly SettingDef[] = [
  stringSetting('data.dir', './data', 'Folder holding topic metadata, partition logs and checkpoints.'),
  stringSetting('host', '127.0.0.1', 'Interface to listen on. Use 0.0.0.0 to accept remote clients.'),
  intSetting('port', 9092, 0, 65535, 'TCP port for WebSocket clients and the HTTP /metrics and /healthz endpoints. 0 picks a free port.'),
  stringSetting(
    'advertised.url',
    '',
    'URL clients are told to connect to (Metadata). Empty: ws://<host>:<port>.',
    /^(wss?:\/\/.+)?$/,
    'a ws:// or wss:// URL, or empty',
  ),
  intSetting('broker.id', 1, 0, INT32_MAX, 'This broker\'s node id.'),
  boolSetting('auto.create.topics.enable', false, 'Create a topic when a client asks for metadata of a topic that does not exist.'),
  intSetting('num.partitions', 1, 1, 10000, 'Partitions of auto-created topics.'),
  enumSetting(
    'durability',
    'fsync',
    ['fsync', 'async'] as const,
    'fsync: a produce with acks=all is acknowledged only after its bytes are fsynced (fsyncs are grouped across concurrent requests). async: acks=all is acknowledged once written to the OS; data is fsynced every log.flush.interval.ms.',
  ),
  intSetting('log.flush.interval.ms', 1000, 1, INT32_MAX, 'Background fsync of every log with unsynced data, in both durability modes.'),
  intSetting(
    'log.recovery.checkpoint.interval.ms',
    10000,
    100,
    INT32_MAX,
    'How often logs and indexes are fully fsynced and the recovery checkpoint written. Recovery after a crash scans only what was written since.',
  ),
  intSetting('log.segment.bytes', 1024 * 1024 * 1024, 1024, INT32_MAX, 'Default segment.bytes of topics.'),
  intSetting('log.roll.ms', 7 * DAY, 1, Number.MAX_SAFE_INTEGER, 'Default segment.ms of topics.'),
  intSetting('log.index.interval.bytes', 4096, 0, INT32_MAX, 'Default index.interval.bytes of topics.'),
  intSetting('log.retention.ms', 7 * DAY, -1, Number.MAX_SAFE_INTEGER, 'Default retention.ms of topics (-1: keep forever).'),
  intSetting('log.retention.bytes', -1, -1, Number.MAX_SAFE_INTEGER, 'Default retention.bytes of topics (-1: no size limit).'),
  intSetting('log.retention.check.interval.ms', 300_000, 1, INT32_MAX, 'How often the broker looks for segments to delete by retention.'),
  intSetting('file.delete.delay.ms', 60_000, 0, INT32_MAX, 'How long a deleted or replaced segment stays readable (for fetches already reading it) before its files are removed.'),
  boolSetting('log.cleaner.enable', true, 'Run the log cleaner, which compacts topics whose cleanup.policy includes compact.'),
  intSetting('log.cleaner.backoff.ms', 15_000, 1, INT32_MAX, 'How often the cleaner looks for a log to compact.'),
  intSetting(
    'log.cleaner.dedupe.buffer.size',
    32 * 1024 * 1024,
    64 * 1024,
    1024 * 1024 * 1024,
    'Memory for the cleaner\'s key map (24 bytes per distinct key). A log with more keys than fit is cleaned in several passes.',
  ),
  intSetting('log.cleaner.delete.retention.ms', DAY, 0, Number.MAX_SAFE_INTEGER, 'Default delete.retention.ms of topics.'),
  numberSetting('log.cleaner.min.cleanable.ratio', 0.5, 0, 1, 'Default min.cleanable.dirty.ratio of topics.'),
  intSetting('log.cleaner.min.compaction.lag.ms', 0, 0, Number.MAX_SAFE_INTEGER, 'Default min.compaction.lag.ms of topics.'),
  intSetting(
    'log.tail.cache.bytes',
    32 * 1024 * 1024,
    0,
    INT32_MAX,
    'Memory for copies of the most recent batches of every partition (one ring buffer each, the budget shared evenly, at most 8 MiB each; the budget covers the cache entries too, at most one batch per 256 bytes), so consumers reading at the end of the log are answered from memory. 0 turns it off.',
  ),
  intSetting(
    'log.write.inline.max.bytes',
    64 * 1024,
    0,
    16 * 1024 * 1024,
    'Appends up to this size that find nothing else being written go to the page cache synchronously (a few µs) instead of through the thread pool (two thread hand-offs, ~60 µs): lower end-to-end latency at low rates. A write slower than 2 ms turns this off for 10 s. fsyncs never run inline. 0 turns it off.',
  ),
  intSetting('log.open.files.max', 1000, 16, 1_000_000, 'Most segment files kept open at once; idle ones are closed and reopened on use, so thousands of partitions need few descriptors.'),
  enumSetting(
    'log.cleanup.policy',
    'delete',
    ['delete', 'compact', 'compact,delete', 'delete,compact'] as const,
    'Default cleanup.policy of topics.',
  ),
  intSetting('message.max.bytes', DEFAULT_MAX_BATCH_BYTES, 64, INT32_MAX, 'Default max.message.bytes of topics: the largest record batch accepted.'),
  intSetting('max.frame.bytes', DEFAULT_MAX_FRAME_BYTES, 1024, INT32_MAX, 'Largest request frame (one WebSocket message) accepted; larger frames close the connection.'),
  intSetting('producer.id.expiration.ms', 86_400_000, 1, INT32_MAX, 'How long a partition remembers an idle idempotent producer\'s sequences; after that its next batch must start a new sequence.'),
  intSetting('fetch.max.wait.ms', 30000, 0, INT32_MAX, 'Upper bound on the max wait of a fetch parked at the end of the log.'),
  intSetting('connection.max.inflight.requests', 1024, 1, 1_000_000, 'Requests one connection may have in progress before the broker stops reading from it.'),
  intSetting('connection.max.buffered.bytes', 64 * 1024 * 1024, 1024, INT32_MAX, 'Response bytes queued for a slow client, plus the maxBytes of its fetches in progress, before the broker stops reading its requests (requests already received wait until it reads again).'),
  intSetting('shutdown.timeout.ms', 30000, 0, INT32_MAX, 'On SIGTERM/SIGINT, how long to let in-flight requests finish before closing connections.'),
  enumSetting('log.level', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'Level of the structured (JSON) log on stdout.'),
  ...GROUP_SETTINGS,
];

export interface BrokerConfig {
  dataDir: string;
  host: string;
  port: number;
  advertisedUrl: string;
  brokerId: number;
  autoCreateTopics: boolean;
  numPartitions: number;
  durability: 'fsync' | 'async';
  flushIntervalMs: number;
  checkpointIntervalMs: number;
  segmentBytes: number;
  rollMs: number;
  retentionCheckIntervalMs: number;
  fileDeleteDelayMs: number;
  cleanerEnable: boolean;
  cleanerBackoffMs: number;
  cleanerDedupeBufferSize: number;
  maxOpenFiles: number;
  inlineWriteMaxBytes: number;
  tailCacheBytes: number;
  indexIntervalBytes: number;
  messageMaxBytes: number;
  maxFrameBytes: number;
  fetchMaxWaitMs: number;
  producerIdExpirationMs: number;
  maxInflightRequests: number;
  maxBufferedBytes: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  groups: GroupSettings;
  /** Every setting by its dotted key, parsed. */
  raw: Readonly<Record<string, unknown>>;
}

/** The group.* and offsets.* settings. */
export interface GroupSettings {
  sessionTimeoutMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  reconcilingHeartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  defaultAssignor: string;
  maxGroupSize: number;
  offsetsTopicPartitions: number;
  offsetsTopicSegmentBytes: number;
  offsetMetadataMaxBytes: number;
}

export type ConfigInput = Record<string, string | number | boolean>;

/** STRATA_LOG_SEGMENT_BYTES for log.segment.bytes. */
export function envName(key: string): string {
  return 'STRATA_' + key.toUpperCase().replace(/[.-]/g, '_');
}

export interface ConfigSources {
  file?: ConfigInput;
  env?: Record<string, string | undefined>;
  flags?: ConfigInput;
  options?: ConfigInput;
}

/** Reads a JSON config file of `{ "setting.key": value }`. */
export function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([{ key: 'config', value: path, source: 'flag', message: `cannot read config file ${path}: ${(e as Error).message}` }]);
  }
  try {
    const data: unknown = JSON.parse(text);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('expected a JSON object of settings');
    return data as ConfigInput; // checked setting by setting below
  } catch (e) {
    throw new ConfigError([{ key: 'config', value: path, source: 'file', message: `config file ${path} is not valid: ${(e as Error).message}` }]);
  }
}

/** Merges the sources in precedence order and validates the result. Throws ConfigError. */
export function resolveBrokerConfig(sources: ConfigSources): BrokerConfig {
  const values: Record<string, unknown> = {};
  const from: Record<string, SettingSource> = {};
  const put = (input: Record<string, unknown> | undefined, source: SettingSource) => {
    for (const [k, v] of Object.entries(input ?? {})) {
      if (v === undefined) continue;
      values[k] = v;
      from[k] = source;
    }
  };
  put(sources.file, 'file');
  if (sources.env) {
    const env: Record<string, unknown> = {};
    for (const def of BROKER_SETTINGS) {
      const v = sources.env[envName(def.key)];
      if (v !== undefined) env[def.key] = v;
    }
    put(env, 'environment');
  }
  put(sources.flags, 'flag');
  put(sources.options, 'option');
  const { parsed, problems } = validateSettings(BROKER_SETTINGS, values, from);
  if (problems.length > 0) throw new ConfigError(problems);
  const all: Record<string, unknown> = {};
  for (const def of BROKER_SETTINGS) all[def.key] = def.key in parsed ? parsed[def.key] : def.default;
  return toBrokerConfig(all);
}

function toBrokerConfig(v: Record<string, unknown>): BrokerConfig {
  const n = (k: string) => v[k] as number; // validated by the table's schema
  const s = (k: string) => v[k] as string; // validated by the table's schema
  const problems: ValidationProblem[] = [];
  if (n('message.max.bytes') + 1024 > n('max.frame.bytes')) {
    problems.push({ key: 'message.max.bytes', value: n('message.max.bytes'), source: 'option', message: 'message.max.bytes must be at least 1 KiB below max.frame.bytes' });
  }
  problems.push(...groupProblems(n));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    dataDir: s('data.dir'),
    host: s('host'),
    port: n('port'),
    advertisedUrl: s('advertised.url') ?? '',
    brokerId: n('broker.id'),
    autoCreateTopics: v['auto.create.topics.enable'] as boolean,
    numPartitions: n('num.partitions'),
    durability: v['durability'] as 'fsync' | 'async',
    flushIntervalMs: n('log.flush.interval.ms'),
    checkpointIntervalMs: n('log.recovery.checkpoint.interval.ms'),
    segmentBytes: n('log.segment.bytes'),
    rollMs: n('log.roll.ms'),
    retentionCheckIntervalMs: n('log.retention.check.interval.ms'),
    fileDeleteDelayMs: n('file.delete.delay.ms'),
    cleanerEnable: v['log.cleaner.enable'] as boolean,
    cleanerBackoffMs: n('log.cleaner.backoff.ms'),
    cleanerDedupeBufferSize: n('log.cleaner.dedupe.buffer.size'),
    maxOpenFiles: n('log.open.files.max'),
    inlineWriteMaxBytes: n('log.write.inline.max.bytes'),
    tailCacheBytes: n('log.tail.cache.bytes'),
    indexIntervalBytes: n('log.index.interval.bytes'),
    messageMaxBytes: n('message.max.bytes'),
    maxFrameBytes: n('max.frame.bytes'),
    fetchMaxWaitMs: n('fetch.max.wait.ms'),
    producerIdExpirationMs: n('producer.id.expiration.ms'),
    maxInflightRequests: n('connection.max.inflight.requests'),
    maxBufferedBytes: n('connection.max.buffered.bytes'),
    shutdownTimeoutMs: n('shutdown.timeout.ms'),
    logLevel: s('log.level'),
    groups: {
      sessionTimeoutMs: n('group.consumer.session.timeout.ms'),
      minSessionTimeoutMs: n('group.consumer.min.session.timeout.ms'),
      maxSessionTimeoutMs: n('group.consumer.max.session.timeout.ms'),
      heartbeatIntervalMs: n('group.consumer.heartbeat.interval.ms'),
      reconcilingHeartbeatIntervalMs: n('group.consumer.reconciling.heartbeat.interval.ms'),
      rebalanceTimeoutMs: n('group.consumer.rebalance.timeout.ms'),
      defaultAssignor: s('group.default.assignor'),
      maxGroupSize: n('group.max.size'),
      offsetsTopicPartitions: n('offsets.topic.num.partitions'),
      offsetsTopicSegmentBytes: n('offsets.topic.segment.bytes'),
      offsetMetadataMaxBytes: n('offsets.metadata.max.bytes'),
    },
    raw: Object.freeze({ ...v }),
  };
}

/** The group session timeouts must nest: min <= default <= max, and heartbeats come well within a session. */
function groupProblems(n: (key: string) => number): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const min = n('group.consumer.min.session.timeout.ms');
  const max = n('group.consumer.max.session.timeout.ms');
  const def = n('group.consumer.session.timeout.ms');
  const problem = (key: string, message: string) => problems.push({ key, value: n(key), source: 'option', message });
  if (min > max) problem('group.consumer.min.session.timeout.ms', `group.consumer.min.session.timeout.ms (${min}) must not exceed group.consumer.max.session.timeout.ms (${max})`);
  if (def < min || def > max) problem('group.consumer.session.timeout.ms', `group.consumer.session.timeout.ms (${def}) must lie within [${min}, ${max}] (the min/max session timeout settings)`);
  if (n('group.consumer.heartbeat.interval.ms') >= min) {
    problem('group.consumer.heartbeat.interval.ms', `group.consumer.heartbeat.interval.ms must be below group.consumer.min.session.timeout.ms (${min}), or members time out between heartbeats`);
  }
  return problems;
}
