/**
 * The broker's one metrics registry (prom-client), served at GET /metrics in the Prometheus text
 * format. A registry per broker, not prom-client's global one, so several embedded brokers can
 * share a process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'api' | 'error'>;
  readonly requestSeconds: Histogram<'api'>;
  readonly bytesIn: Counter<'topic'>;
  readonly bytesOut: Counter<'topic'>;
  readonly recordsIn: Counter<'topic'>;
  readonly connections: Gauge;
  readonly protocolErrors: Counter<'code'>;
  readonly groupMembers: Gauge<'group'>;
  readonly groupRebalances: Counter<'group'>;
  readonly groupMembersRemoved: Counter<'reason'>;
  readonly offsetCommits: Counter<'group'>;
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
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'strata_process_' });
  }
}
