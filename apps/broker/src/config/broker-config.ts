/**
 * Broker configuration: defaults < config file < environment (STRATA_*) < flags / embedded
 * options. Invalid values stop the broker at start-up with a message naming the setting, the
 * value, where it came from and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
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
/** Cluster settings (docs/cluster.md): a broker with etcd.endpoints set joins a replicated cluster. */
const CLUSTER_SETTINGS: readonly SettingDef[] = [
  stringSetting(
    'etcd.endpoints',
    '',
    'Comma-separated etcd URLs (e.g. http://10.0.0.1:2379,http://10.0.0.2:2379). Set: this broker joins the cluster whose metadata lives there (broker.id must be unique in it). Empty: a single broker with no external service.',
    /^(https?:\/\/[^,\s]+)(,https?:\/\/[^,\s]+)*$|^$/,
    'http:// or https:// URLs separated by commas, or empty',
  ),
  stringSetting('etcd.prefix', '/strata', 'Key prefix of this cluster in etcd, so several clusters can share one etcd.', /^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/, 'a key prefix starting with /, such as /strata'),
  intSetting(
    'broker.session.timeout.ms',
    3000,
    2000,
    60_000,
    'Lease of the broker\'s registration in etcd (rounded up to whole seconds). A broker whose lease cannot be renewed stops acting as a leader or controller before it expires; the controller moves leadership away from a broker whose lease expired. Bounds how long a failed leader stays unnoticed.',
  ),
  stringSetting('broker.rack', '', 'Rack (or zone) of this broker: replicas of a partition are spread over racks first.', /^[A-Za-z0-9._-]{0,64}$/, 'up to 64 characters from [A-Za-z0-9._-]'),
  intSetting('default.replication.factor', 1, 1, 1000, 'Replicas of topics created without a replication factor (capped to the brokers alive for __consumer_offsets, see offsets.topic.replication.factor).'),
  intSetting('min.insync.replicas', 1, 1, 1000, 'Default min.insync.replicas of topics: acks=all needs at least this many in-sync replicas.'),
  boolSetting('unclean.leader.election.enable', false, 'Default unclean.leader.election.enable of topics.'),
  intSetting('replica.lag.time.max.ms', 30_000, 100, INT32_MAX, 'A follower that has not caught up with the leader\'s log end for this long leaves the ISR; it rejoins once caught up.'),
  intSetting('replica.fetch.wait.max.ms', 500, 1, 60_000, 'How long a follower\'s fetch waits at the leader for new data (long poll).'),
  intSetting('replica.fetch.max.bytes', 4 * 1024 * 1024, 1024, INT32_MAX, 'Bytes a follower fetches per partition in one request (at least one whole batch).'),
  intSetting('offsets.topic.replication.factor', 3, 1, 1000, 'Replicas of __consumer_offsets when the cluster creates it (capped to the brokers alive then).'),
  boolSetting('auto.leader.rebalance.enable', true, 'The controller moves each partition\'s leadership back to its preferred (first) replica when that replica is in sync.'),
  intSetting('leader.imbalance.check.interval.ms', 300_000, 100, INT32_MAX, 'How often the controller looks for partitions not led by their preferred replica.'),
  boolSetting('controlled.shutdown.enable', true, 'On SIGTERM, ask the controller to move this broker\'s leaderships away before stopping, so clients see no failed request.'),
  intSetting('controlled.shutdown.timeout.ms', 30_000, 0, INT32_MAX, 'How long a stopping broker waits for the controller to move its leaderships away.'),
  stringSetting(
    'inter.broker.local.address',
    '',
    'Local address this broker\'s connections to other brokers start from (a multi-homed host, or fault-injection tests that tell brokers apart by source address). Empty: chosen by the system.',
    /^[0-9a-fA-F.:]*$/,
    'an IP address, or empty',
  ),
];

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

/** Security and connection-limit settings (docs/security.md). */
const SECURITY_SETTINGS: readonly SettingDef[] = [
  stringSetting('ssl.cert.file', '', 'PEM certificate chain of the broker. With ssl.key.file, the listener speaks TLS (wss://). Reloaded on SIGHUP and when the file changes.', /^.*$/, 'a file path, or empty'),
  stringSetting('ssl.key.file', '', 'PEM private key of ssl.cert.file.', /^.*$/, 'a file path, or empty'),
  stringSetting('ssl.ca.file', '', 'PEM CA certificates that client certificates must chain to (mutual TLS).', /^.*$/, 'a file path, or empty'),
  enumSetting(
    'ssl.client.auth',
    'none',
    ['none', 'requested', 'required'] as const,
    'Client certificates: none; requested (verified when sent); required (connections without a valid one are refused). A verified certificate makes the connection\'s principal User:<its subject CN>.',
  ),
  stringSetting(
    'allowed.origins',
    '',
    'Comma-separated Origin values browsers may connect from (e.g. https://app.example.com), or * for any. Clients that send no Origin (every non-browser client) and the broker\'s own pages (its web console, same origin) are always accepted. Empty: no other browser page may connect.',
    /^.*$/,
    'origins separated by commas, *, or empty',
  ),
  stringSetting(
    'sasl.enabled.mechanisms',
    '',
    'SASL mechanisms clients must authenticate with, comma-separated: SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER. Empty: no SASL (the principal is the TLS certificate\'s, or ANONYMOUS).',
    /^\s*((SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER)\s*(,\s*(SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER)\s*)*)?$/,
    'a comma-separated list of SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, or empty',
  ),
  stringSetting('sasl.oauthbearer.public.key.file', '', 'PEM public key that verifies OAUTHBEARER tokens (JWT: RS*, PS*, ES*, EdDSA).', /^.*$/, 'a file path, or empty'),
  stringSetting('sasl.oauthbearer.jwks.file', '', 'JSON Web Key Set file whose keys verify OAUTHBEARER tokens (chosen by kid).', /^.*$/, 'a file path, or empty'),
  stringSetting('sasl.oauthbearer.expected.issuer', '', 'When set, tokens must carry this iss claim.', /^.*$/, 'a string, or empty'),
  stringSetting('sasl.oauthbearer.expected.audience', '', 'When set, tokens\' aud claim must include this value.', /^.*$/, 'a string, or empty'),
  stringSetting('sasl.oauthbearer.principal.claim', 'sub', 'Claim whose value becomes the principal (User:<value>).'),
  intSetting(
    'connections.max.reauth.ms',
    0,
    0,
    INT32_MAX,
    'Longest a SCRAM session lasts before the client must re-authenticate on the same connection (tokens last until they expire). 0: SCRAM sessions do not expire.',
  ),
  intSetting('auth.failure.max.attempts', 10, 0, INT32_MAX, 'Failed authentications allowed per client address and per user within auth.failure.window.ms; further attempts are refused at once until the window passes. 0: no limit.'),
  intSetting('auth.failure.window.ms', 60_000, 1, INT32_MAX, 'Window of auth.failure.max.attempts.'),
  boolSetting('authorizer.enable', false, 'Enforce ACLs: with true, every request not allowed by an ACL (or by super.users) is denied.'),
  stringSetting('super.users', '', 'Principals allowed everything, separated by semicolons, e.g. User:admin;User:ops.', /^\s*(User:[^;]+(;\s*User:[^;]+)*)?\s*$/, 'User:<name> principals separated by ";", or empty'),
  intSetting('quota.producer.byte.rate', 0, 0, INT32_MAX, 'Default produce quota of each user and client id, in bytes per second (0: unlimited).'),
  intSetting('quota.consumer.byte.rate', 0, 0, INT32_MAX, 'Default fetch quota of each user and client id, in bytes per second (0: unlimited).'),
  intSetting('quota.request.rate', 0, 0, INT32_MAX, 'Default request quota of each user and client id, in requests per second (0: unlimited).'),
  stringSetting('quota.overrides.file', '', 'JSON file of quota overrides per user and/or client id: [{ "user": "alice", "clientId": "etl", "producerByteRate": 1048576, "consumerByteRate": 0, "requestRate": 100 }].', /^.*$/, 'a file path, or empty'),
  stringSetting('metrics.token.file', '', 'When set, GET /metrics requires the header "Authorization: Bearer <token>" with the token in this file. /healthz stays open.', /^.*$/, 'a file path, or empty'),
  intSetting('max.connections', 10_000, 1, 1_000_000, 'Most TCP connections (clients and HTTP) the broker keeps open; more are refused at once (HTTP 503). Lowered at start-up to fit the process\'s descriptor limit (ulimit -n) minus log.open.files.max and a reserve for the broker\'s own files.'),
  intSetting('max.connections.per.ip', 1000, 1, 1_000_000, 'Most TCP connections from one client address; more are refused at once (HTTP 503).'),
  intSetting(
    'connection.handshake.timeout.ms',
    10_000,
    1,
    INT32_MAX,
    'Time from accepting a TCP connection to the end of its handshake (HTTP upgrade, ApiVersions and, when required, authentication); a connection that takes longer is closed.',
  ),
  intSetting(
    'connection.frame.timeout.ms',
    60_000,
    1,
    INT32_MAX,
    'A request frame that has started arriving must be complete within this time (time the broker itself stops reading does not count), or the connection is closed.',
  ),
  intSetting(
    'queued.max.request.bytes',
    256 * 1024 * 1024,
    1024 * 1024,
    Number.MAX_SAFE_INTEGER,
    'Broker-wide cap on bytes held for clients: request frames being received or handled plus responses not yet sent. When reached, connections whose next frame needs memory stop being read until memory is released (held bytes stay below this plus one max.frame.bytes).',
  ),
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
  {
    key: 'console.enable',
    // "true"/"false" from the environment and flags; true/false/"auto" from a file or the embedded API.
    schema: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.union([z.boolean(), z.literal('auto')])),
    default: 'auto',
    allowed: 'true, false or "auto"',
    doc: 'Serve the web console (docs/console.md) at /console/ on the broker\'s port. "auto": only when `host` is a loopback address (127.x.x.x, ::1, localhost), since anyone who can open the page can administer topics and groups.',
  },
  enumSetting('log.level', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'Level of the log on stdout.'),
  enumSetting(
    'log.format',
    'auto',
    ['auto', 'json', 'pretty'] as const,
    'Format of the log on stdout: json (one object per line, for log collectors), pretty (human-readable lines), or auto: pretty when stdout is a terminal, json otherwise (an embedded broker: json).',
  ),
  ...GROUP_SETTINGS,
  ...SECURITY_SETTINGS,
  ...CLUSTER_SETTINGS,
];

/** Cluster settings, parsed. */
export interface ClusterSettings {
  /** Empty: no cluster (a single broker). */
  etcdEndpoints: string[];
  etcdPrefix: string;
  sessionTimeoutMs: number;
  rack: string;
  defaultReplicationFactor: number;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  offsetsTopicReplicationFactor: number;
  autoLeaderRebalance: boolean;
  leaderImbalanceCheckIntervalMs: number;
  controlledShutdown: boolean;
  controlledShutdownTimeoutMs: number;
  /** Empty: the system's choice. */
  interBrokerLocalAddress: string;
}

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
  /** Serve the web console at /console/ (console.enable, "auto" resolved against host). */
  consoleEnabled: boolean;
  logFormat: 'auto' | 'json' | 'pretty';
  cluster: ClusterSettings;
  groups: GroupSettings;
  security: SecuritySettings;
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

/** The security and connection-limit settings. */
export interface SecuritySettings {
  sslCertFile: string;
  sslKeyFile: string;
  sslCaFile: string;
  sslClientAuth: 'none' | 'requested' | 'required';
  allowedOrigins: string[];
  saslMechanisms: string[];
  oauthPublicKeyFile: string;
  oauthJwksFile: string;
  oauthIssuer: string;
  oauthAudience: string;
  oauthPrincipalClaim: string;
  maxReauthMs: number;
  authFailureMaxAttempts: number;
  authFailureWindowMs: number;
  authorizerEnable: boolean;
  superUsers: string[];
  producerByteRate: number;
  consumerByteRate: number;
  requestRate: number;
  quotaOverridesFile: string;
  metricsTokenFile: string;
  maxConnections: number;
  maxConnectionsPerIp: number;
  handshakeTimeoutMs: number;
  frameTimeoutMs: number;
  queuedMaxRequestBytes: number;
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
    consoleEnabled: v['console.enable'] === 'auto' ? isLoopbackHost(s('host')) : (v['console.enable'] as boolean),
    logFormat: s('log.format') as BrokerConfig['logFormat'],
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
    security: securitySettings(v),
    cluster: {
      etcdEndpoints: list(s('etcd.endpoints'), ','),
      etcdPrefix: s('etcd.prefix'),
      sessionTimeoutMs: n('broker.session.timeout.ms'),
      rack: s('broker.rack'),
      defaultReplicationFactor: n('default.replication.factor'),
      replicaLagTimeMaxMs: n('replica.lag.time.max.ms'),
      replicaFetchWaitMaxMs: n('replica.fetch.wait.max.ms'),
      replicaFetchMaxBytes: n('replica.fetch.max.bytes'),
      offsetsTopicReplicationFactor: n('offsets.topic.replication.factor'),
      autoLeaderRebalance: v['auto.leader.rebalance.enable'] as boolean,
      leaderImbalanceCheckIntervalMs: n('leader.imbalance.check.interval.ms'),
      controlledShutdown: v['controlled.shutdown.enable'] as boolean,
      controlledShutdownTimeoutMs: n('controlled.shutdown.timeout.ms'),
      interBrokerLocalAddress: s('inter.broker.local.address'),
    },
    raw: Object.freeze({ ...v }),
  };
}

/** True for a host name or address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const list = (value: string, separator: string): string[] =>
  value
    .split(separator)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

function securitySettings(v: Record<string, unknown>): SecuritySettings {
  const n = (k: string) => v[k] as number; // validated by the table's schema
  const s = (k: string) => (v[k] as string | undefined) ?? ''; // validated by the table's schema
  const problems: ValidationProblem[] = [];
  if ((s('ssl.cert.file') === '') !== (s('ssl.key.file') === '')) {
    problems.push({ key: 'ssl.key.file', value: s('ssl.key.file'), source: 'option', message: 'ssl.cert.file and ssl.key.file must be set together' });
  }
  if (v['ssl.client.auth'] !== 'none' && (s('ssl.cert.file') === '' || s('ssl.ca.file') === '')) {
    problems.push({ key: 'ssl.client.auth', value: v['ssl.client.auth'], source: 'option', message: 'ssl.client.auth needs TLS (ssl.cert.file, ssl.key.file) and ssl.ca.file' });
  }
  const mechanisms = [...new Set(list(s('sasl.enabled.mechanisms'), ',').map((m) => m.toUpperCase()))];
  if (mechanisms.includes('OAUTHBEARER') && s('sasl.oauthbearer.public.key.file') === '' && s('sasl.oauthbearer.jwks.file') === '') {
    problems.push({ key: 'sasl.enabled.mechanisms', value: s('sasl.enabled.mechanisms'), source: 'option', message: 'OAUTHBEARER needs sasl.oauthbearer.public.key.file or sasl.oauthbearer.jwks.file' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    sslCertFile: s('ssl.cert.file'),
    sslKeyFile: s('ssl.key.file'),
    sslCaFile: s('ssl.ca.file'),
    sslClientAuth: v['ssl.client.auth'] as SecuritySettings['sslClientAuth'],
    allowedOrigins: list(s('allowed.origins'), ','),
    saslMechanisms: mechanisms,
    oauthPublicKeyFile: s('sasl.oauthbearer.public.key.file'),
    oauthJwksFile: s('sasl.oauthbearer.jwks.file'),
    oauthIssuer: s('sasl.oauthbearer.expected.issuer'),
    oauthAudience: s('sasl.oauthbearer.expected.audience'),
    oauthPrincipalClaim: s('sasl.oauthbearer.principal.claim'),
    maxReauthMs: n('connections.max.reauth.ms'),
    authFailureMaxAttempts: n('auth.failure.max.attempts'),
    authFailureWindowMs: n('auth.failure.window.ms'),
    authorizerEnable: v['authorizer.enable'] as boolean,
    superUsers: list(s('super.users'), ';'),
    producerByteRate: n('quota.producer.byte.rate'),
    consumerByteRate: n('quota.consumer.byte.rate'),
    requestRate: n('quota.request.rate'),
    quotaOverridesFile: s('quota.overrides.file'),
    metricsTokenFile: s('metrics.token.file'),
    maxConnections: n('max.connections'),
    maxConnectionsPerIp: n('max.connections.per.ip'),
    handshakeTimeoutMs: n('connection.handshake.timeout.ms'),
    frameTimeoutMs: n('connection.frame.timeout.ms'),
    queuedMaxRequestBytes: n('queued.max.request.bytes'),
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
