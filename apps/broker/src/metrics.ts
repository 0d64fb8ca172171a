/**
 * The broker's one metrics registry (prom-client), served at GET /metrics in the Prometheus text
 * format. A registry per broker, not prom-client's global one, so several embedded brokers can
 * share a process. Broker metrics are named strata_*; process metrics (with `processMetrics`) keep
 * the standard names Node dashboards expect (process_cpu_user_seconds_total, nodejs_heap_size_used_bytes...).
 * Consumer lag is computed when scraped, from a LagSource the broker wires in.
 */
import { BATCH_LOG_OVERHEAD, BatchField } from '@strata/protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One partition's lag for one group: the high watermark minus the committed offset. */
export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** Where consumer lag comes from, when scraped. */
export type LagSource = () => Iterable<PartitionLag>;

/** What this broker's replication looks like now (a cluster; empty on a single broker). */
export interface ReplicationSnapshot {
  leaders: number;
  underReplicated: number;
  controllerActive: boolean;
  followerLag: Array<{ topic: string; partition: number; replica: number; offsets: number; secondsSinceCaughtUp: number }>;
}

/** Records in the record batches of `records` (stored bytes, whole batches), from their headers: no decoding. */
export function countRecords(records: Uint8Array): number {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let count = 0;
  let pos = 0;
  while (pos + BatchField.RECORD_COUNT + 4 <= records.length) {
    count += view.getInt32(pos + BatchField.RECORD_COUNT);
    pos += BATCH_LOG_OVERHEAD + view.getInt32(pos + BatchField.BATCH_LENGTH);
  }
  return count;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'api' | 'error'>;
  readonly requestSeconds: Histogram<'api'>;
  readonly bytesIn: Counter<'topic'>;
  readonly bytesOut: Counter<'topic'>;
  readonly recordsIn: Counter<'topic'>;
  readonly recordsOut: Counter<'topic'>;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly consumerGroupLag: Gauge<'group'>;
  private lagSource: LagSource = () => [];
  private replicationSource: () => ReplicationSnapshot = () => ({ leaders: 0, underReplicated: 0, controllerActive: false, followerLag: [] });
  readonly isrShrinks: Counter;
  readonly isrExpands: Counter;
  readonly leaderPartitions: Gauge;
  readonly underReplicatedPartitions: Gauge;
  readonly controllerActive: Gauge;
  readonly replicaLagRecords: Gauge<'topic' | 'partition' | 'replica'>;
  readonly replicaLagSeconds: Gauge<'topic' | 'partition' | 'replica'>;
  readonly connections: Gauge;
  readonly protocolErrors: Counter<'code'>;
  readonly groupMembers: Gauge<'group'>;
  readonly groupRebalances: Counter<'group'>;
  readonly groupMembersRemoved: Counter<'reason'>;
  readonly offsetCommits: Counter<'group'>;
  readonly offlinePartitions: Gauge;
  readonly corruptBatches: Counter;
  readonly authentications: Counter<'mechanism' | 'result'>;
  readonly authorizationDenials: Counter<'api'>;
  readonly throttles: Counter<'api'>;
  readonly throttleSeconds: Counter<'api'>;
  readonly connectionsRefused: Counter<'reason'>;
  readonly connectionsClosed: Counter<'reason'>;
  readonly queuedRequestBytes: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'strata_requests_total', help: 'Requests handled, by API and error code name', labelNames: ['api', 'error'], registers });
    this.requestSeconds = new Histogram({
      name: 'strata_request_duration_seconds',
      help: 'Time from a request frame arriving to its response being queued, by API',
      labelNames: ['api'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.bytesIn = new Counter({ name: 'strata_bytes_in_total', help: 'Record batch bytes appended, by topic', labelNames: ['topic'], registers });
    this.bytesOut = new Counter({ name: 'strata_bytes_out_total', help: 'Record batch bytes returned by fetches, by topic', labelNames: ['topic'], registers });
    this.recordsIn = new Counter({ name: 'strata_records_in_total', help: 'Records appended, by topic', labelNames: ['topic'], registers });
    this.recordsOut = new Counter({ name: 'strata_records_out_total', help: 'Records returned by fetches (consumers and followers), by topic', labelNames: ['topic'], registers });
    const lagSource = () => this.lagSource();
    this.consumerLag = new Gauge({
      name: 'strata_consumer_lag',
      help: "Records a consumer group has not consumed yet: the partition's high watermark minus the group's committed offset, by group, topic and partition",
      labelNames: ['group', 'topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const l of lagSource()) this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    });
    this.consumerGroupLag = new Gauge({
      name: 'strata_consumer_group_lag',
      help: 'Records a consumer group has not consumed yet, summed over its committed partitions, by group',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        const sums = new Map<string, number>();
        for (const l of lagSource()) sums.set(l.group, (sums.get(l.group) ?? 0) + l.lag);
        for (const [group, lag] of sums) this.set({ group }, lag);
      },
    });
    const replication = () => this.replicationSource();
    this.isrShrinks = new Counter({ name: 'strata_isr_shrinks_total', help: 'ISR shrinks committed by partitions this broker leads (a follower fell behind replica.lag.time.max.ms)', registers });
    this.isrExpands = new Counter({ name: 'strata_isr_expands_total', help: 'ISR expansions committed by partitions this broker leads (a follower caught up)', registers });
    this.leaderPartitions = new Gauge({
      name: 'strata_leader_partitions',
      help: 'Partitions this broker leads',
      registers,
      collect() {
        this.set(replication().leaders);
      },
    });
    this.underReplicatedPartitions = new Gauge({
      name: 'strata_under_replicated_partitions',
      help: 'Partitions this broker leads whose ISR is smaller than their replica list',
      registers,
      collect() {
        this.set(replication().underReplicated);
      },
    });
    this.controllerActive = new Gauge({
      name: 'strata_controller_active',
      help: '1 while this broker is the controller of its cluster',
      registers,
      collect() {
        this.set(replication().controllerActive ? 1 : 0);
      },
    });
    this.replicaLagRecords = new Gauge({
      name: 'strata_replica_lag_records',
      help: "Offsets a follower is behind this leader's log end, by topic, partition and replica",
      labelNames: ['topic', 'partition', 'replica'],
      registers,
      collect() {
        this.reset();
        for (const l of replication().followerLag) this.set({ topic: l.topic, partition: String(l.partition), replica: String(l.replica) }, l.offsets);
      },
    });
    this.replicaLagSeconds = new Gauge({
      name: 'strata_replica_lag_seconds',
      help: "Seconds since a follower was last caught up with this leader's log end, by topic, partition and replica",
      labelNames: ['topic', 'partition', 'replica'],
      registers,
      collect() {
        this.reset();
        for (const l of replication().followerLag) this.set({ topic: l.topic, partition: String(l.partition), replica: String(l.replica) }, l.secondsSinceCaughtUp);
      },
    });
    this.connections = new Gauge({ name: 'strata_connections', help: 'Open client connections', registers });
    this.protocolErrors = new Counter({ name: 'strata_protocol_errors_total', help: 'Frames refused as malformed or out of protocol, by error code name', labelNames: ['code'], registers });
    this.groupMembers = new Gauge({ name: 'strata_group_members', help: 'Members of each consumer group', labelNames: ['group'], registers });
    this.groupRebalances = new Counter({
      name: 'strata_group_rebalances_total',
      help: 'Group epoch bumps (membership, subscription or subscribed-topic changes), by group',
      labelNames: ['group'],
      registers,
    });
    this.groupMembersRemoved = new Counter({
      name: 'strata_group_members_removed_total',
      help: 'Members removed from groups, by reason: left, session-timeout, rebalance-timeout, poll-timeout',
      labelNames: ['reason'],
      registers,
    });
    this.offsetCommits = new Counter({ name: 'strata_offset_commits_total', help: 'Partition offsets committed, by group', labelNames: ['group'], registers });
    this.offlinePartitions = new Gauge({ name: 'strata_offline_partitions', help: 'Partitions whose log is offline after an I/O error (until the broker restarts)', registers });
    this.corruptBatches = new Counter({ name: 'strata_corrupt_batches_total', help: 'Damaged record batches found on disk by reads (each file position counted once)', registers });
    this.authentications = new Counter({
      name: 'strata_authentications_total',
      help: 'SASL authentications by mechanism and result (ok, failed, rate-limited)',
      labelNames: ['mechanism', 'result'],
      registers,
    });
    this.authorizationDenials = new Counter({ name: 'strata_authorization_denied_total', help: 'Requests refused by the authorizer, by API', labelNames: ['api'], registers });
    this.throttles = new Counter({ name: 'strata_throttled_responses_total', help: 'Responses that carried a quota throttle time, by API', labelNames: ['api'], registers });
    this.throttleSeconds = new Counter({ name: 'strata_throttle_seconds_total', help: 'Throttle time imposed on clients by quotas, by API', labelNames: ['api'], registers });
    this.connectionsRefused = new Counter({
      name: 'strata_connections_refused_total',
      help: 'Connections refused before the WebSocket handshake, by reason: max-connections, max-connections-per-ip, origin, tls',
      labelNames: ['reason'],
      registers,
    });
    this.connectionsClosed = new Counter({
      name: 'strata_connections_closed_total',
      help: 'Connections the broker closed for a limit, by reason: handshake-timeout, frame-timeout, authentication',
      labelNames: ['reason'],
      registers,
    });
    this.queuedRequestBytes = new Gauge({
      name: 'strata_queued_request_bytes',
      help: 'Bytes held for clients (request frames being received or handled, responses not yet sent); capped by queued.max.request.bytes',
      registers,
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a partition's fetched record batches (bytes and records) for `topic`. */
  fetched(topic: string, records: Uint8Array): void {
    if (records.length === 0) return;
    this.bytesOut.inc({ topic }, records.length);
    this.recordsOut.inc({ topic }, countRecords(records));
  }

  /** Where consumer lag comes from (the broker wires its group offsets and partition logs in). */
  setLagSource(source: LagSource): void {
    this.lagSource = source;
  }

  /** Where the replication gauges come from (a clustered broker wires its partitions in). */
  setReplicationSource(source: () => ReplicationSnapshot): void {
    this.replicationSource = source;
  }
}
