/**
 * Admin: create, delete, list and describe topics, and read their offsets; list, describe, delete
 * consumer groups and read or reset their committed offsets (GroupAdmin).
 *
 * Invariants: requests are sent only between connect() and disconnect(); request-level failures
 * that are retriable (lost connection, timeout) are retried with backoff; per-topic errors are
 * never retried and are thrown as typed errors (one StrataError, or a StrataAggregateError when
 * several topics failed). Safe to call concurrently.
 */
import {
  ERRORS,
  OffsetSpec,
  StrataError,
  errorFromCode,
  topicNameProblem,
  type ConfigEntryInit,
  type DescribeTopicsResponse,
} from '@strata/protocol';
import { createCluster, type ClientContext } from '../client-context';
import type { Cluster } from '../cluster/cluster';
import { listOffsets } from '../cluster/list-offsets';
import { StrataAggregateError, StrataArgumentError, StrataClosedError } from '../errors';
import { InstrumentationEmitter, type EventListener, type Unsubscribe } from '../instrumentation';
import type { ConnectionEvents } from '../network/connection-events';
import { Retrier } from '../retry';
import type { AdminOptions } from './admin-options';
import { ClusterAdmin, type ElectLeadersArgs, type ElectionResult, type SkipCorruptResult } from './cluster-admin';
import { GroupAdmin } from './group-admin';
import { SecurityAdmin, type Acl, type AclFilter, type ScramMechanismOption, type UserDescription } from './security-admin';
import type {
  DescribeGroupsOptions,
  FetchOffsetsArgs,
  GroupDescriptionInfo,
  ListGroupsArgs,
  ListedGroupInfo,
  ResetOffsetsArgs,
  TopicOffsets,
} from './group-types';
import { resolveAdminOptions } from './admin-options';
import type {
  AlterTopicConfigsArgs,
  ClusterDescription,
  CreatedTopic,
  CreateTopicsArgs,
  DeleteTopicsArgs,
  DescribeTopicsArgs,
  PartitionOffset,
  TopicConfigEntries,
  TopicConfigs,
  TopicDescription,
  TopicPartitionOffsets,
} from './admin-types';

export interface AdminEvents extends ConnectionEvents {
  'admin.connect': Record<string, never>;
  'admin.disconnect': Record<string, never>;
}

export class Admin {
  private readonly events: InstrumentationEmitter<AdminEvents>;
  private readonly cluster: Cluster;
  private readonly retrier: Retrier;
  private readonly groups: GroupAdmin;
  private readonly clusterOps: ClusterAdmin;
  private readonly security: SecurityAdmin;
  private connected = false;

  /** Use `strata.admin()`. */
  constructor(
    private readonly ctx: ClientContext,
    options?: AdminOptions,
  ) {
    const resolved = resolveAdminOptions(options, ctx.options.retry);
    this.events = new InstrumentationEmitter<AdminEvents>(ctx.clock, ctx.logger);
    this.retrier = new Retrier(resolved.retry, ctx.clock);
    this.cluster = createCluster(ctx, { events: this.events, retry: resolved.retry, allowAutoTopicCreation: false });
    this.groups = new GroupAdmin(this.cluster, this.retrier);
    this.clusterOps = new ClusterAdmin(this.cluster, this.retrier, ctx.options.requestTimeoutMs);
    this.security = new SecurityAdmin(this.cluster, this.retrier);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof AdminEvents & string>(type: K, listener: EventListener<AdminEvents[K]>): Unsubscribe {
    return this.events.on(type, listener);
  }

  /** Connects to a bootstrap broker. */
  async connect(): Promise<void> {
    await this.cluster.connect();
    this.connected = true;
    this.events.emit('admin.connect', {});
  }

  /** Closes every connection. In-flight requests fail with NETWORK_EXCEPTION. */
  async disconnect(): Promise<void> {
    if (!this.connected) {
      this.cluster.disconnect(); // ends a connect() still retrying
      return;
    }
    this.connected = false;
    this.cluster.disconnect();
    this.events.emit('admin.disconnect', {});
  }

  /**
   * Creates topics. Resolves with each topic's partition count; throws TOPIC_ALREADY_EXISTS,
   * INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS... (a StrataAggregateError when several fail).
   */
  async createTopics(args: CreateTopicsArgs): Promise<CreatedTopic[]> {
    this.assertConnected();
    if (!args || !Array.isArray(args.topics) || args.topics.length === 0) throw new StrataArgumentError('createTopics: topics must be a non-empty array');
    const seen = new Set<string>();
    for (const t of args.topics) {
      checkTopicName(t.topic);
      if (seen.has(t.topic)) throw new StrataArgumentError(`createTopics: topic "${t.topic}" is listed twice`);
      seen.add(t.topic);
      const n = t.numPartitions;
      if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new StrataError(ERRORS.INVALID_PARTITIONS, `createTopics: numPartitions of "${t.topic}" must be an integer >= 1, got ${String(n)}`);
    }
    const timeoutMs = args.timeout ?? this.ctx.options.requestTimeoutMs;
    const response = await this.retrier.run(async () => {
      return this.cluster.requestController(
        'CreateTopics',
        {
          topics: args.topics.map((t) => ({
            name: t.topic,
            numPartitions: t.numPartitions ?? 0, // 0: the broker's num.partitions
            replicationFactor: t.replicationFactor ?? -1,
            configs: configEntries(t.configs),
          })),
          timeoutMs,
          validateOnly: args.validateOnly ?? false,
        },
        { timeoutMs: this.ctx.options.requestTimeoutMs + timeoutMs },
        (r) => r.topics.map((t) => t.errorCode),
      );
    });
    for (const t of args.topics) this.cluster.invalidate(t.topic);
    const errors: StrataError[] = [];
    const created: CreatedTopic[] = [];
    for (const r of response.topics) {
      if (r.errorCode !== 0) errors.push(topicError(r.errorCode, r.name, r.errorMessage));
      else created.push({ topic: r.name, numPartitions: r.numPartitions });
    }
    throwErrors(errors, 'createTopics');
    return created;
  }

  /** Deletes topics; throws UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist. */
  async deleteTopics(args: DeleteTopicsArgs): Promise<void> {
    this.assertConnected();
    if (!args || !Array.isArray(args.topics) || args.topics.length === 0) throw new StrataArgumentError('deleteTopics: topics must be a non-empty array');
    for (const t of args.topics) checkTopicName(t);
    const timeoutMs = args.timeout ?? this.ctx.options.requestTimeoutMs;
    const response = await this.retrier.run(async () => {
      return this.cluster.requestController('DeleteTopics', { names: [...args.topics], timeoutMs }, { timeoutMs: this.ctx.options.requestTimeoutMs + timeoutMs }, (r) => r.topics.map((t) => t.errorCode));
    });
    for (const t of args.topics) this.cluster.forgetTopic(t);
    throwErrors(
      response.topics.filter((r) => r.errorCode !== 0).map((r) => topicError(r.errorCode, r.name, r.errorMessage)),
      'deleteTopics',
    );
  }

  /** Creates a SCRAM user or sets its password (derived here: the password never leaves this process). */
  upsertUser(args: { user: string; password: string; mechanisms?: ScramMechanismOption[]; iterations?: number }): Promise<void> {
    this.assertConnected();
    return this.security.upsertUser(args);
  }

  /** Deletes a user's SCRAM credentials (all its mechanisms unless one is named). */
  deleteUser(args: { user: string; mechanism?: ScramMechanismOption }): Promise<void> {
    this.assertConnected();
    return this.security.deleteUser(args);
  }

  /** Users with SCRAM credentials (never their secrets). */
  describeUsers(args?: { users?: string[] }): Promise<UserDescription[]> {
    this.assertConnected();
    return this.security.describeUsers(args);
  }

  /** Adds access control entries (needs ALTER on the cluster). */
  createAcls(args: { acls: Acl[] }): Promise<void> {
    this.assertConnected();
    return this.security.createAcls(args);
  }

  /** ACLs matching a filter (all when none is given). */
  describeAcls(args?: { filter?: AclFilter }): Promise<Acl[]> {
    this.assertConnected();
    return this.security.describeAcls(args);
  }

  /** Removes the ACLs matching any filter; resolves with those removed. */
  deleteAcls(args: { filters: AclFilter[] }): Promise<Acl[]> {
    this.assertConnected();
    return this.security.deleteAcls(args);
  }

  /** Names of all topics, internal topics excluded. */
  async listTopics(): Promise<string[]> {
    this.assertConnected();
    return this.retrier.run(() => this.cluster.listTopics(false));
  }

  /** Partitions (offsets, sizes, leaders) and configs of the given topics, or of every topic. */
  async describeTopics(args: DescribeTopicsArgs = {}): Promise<{ topics: TopicDescription[] }> {
    this.assertConnected();
    const names = args.topics ?? [];
    for (const t of names) checkTopicName(t);
    const response = await this.retrier.run(() => this.describeFromLeaders(names));
    const errors: StrataError[] = [];
    const topics: TopicDescription[] = [];
    for (const t of response.topics) {
      if (t.errorCode !== 0) {
        errors.push(topicError(t.errorCode, t.name, t.errorMessage));
        continue;
      }
      const partitionError = t.partitions.find((p) => p.errorCode !== 0);
      if (partitionError) {
        errors.push(topicError(partitionError.errorCode, `${t.name}-${partitionError.partition}`, ''));
        continue;
      }
      topics.push({
        name: t.name,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partition,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            logStartOffset: p.logStartOffset,
            logEndOffset: p.logEndOffset,
            highWatermark: p.highWatermark,
            size: p.sizeBytes,
            segmentCount: p.segmentCount,
            replicas: [...p.replicas],
            isr: [...p.isr],
          }))
          .sort((a, b) => a.partition - b.partition),
        configs: t.configs.map((c) => ({ name: c.name, value: c.value, isDefault: c.isDefault })),
      });
    }
    throwErrors(errors, 'describeTopics');
    return { topics };
  }

  /**
   * DescribeTopics from one broker, or in a cluster from every broker: each answers offsets and
   * sizes of the partitions it leads, and each partition is taken from its leader's answer.
   */
  private async describeFromLeaders(names: readonly string[]): Promise<DescribeTopicsResponse> {
    const first = await this.cluster.requestAny('DescribeTopics', { topics: [...names], includeConfigs: true });
    const brokers = this.cluster.brokerIds();
    if (brokers.length <= 1) return first;
    const answers = new Map<number, DescribeTopicsResponse>();
    await Promise.all(
      brokers.map(async (id) => {
        try {
          answers.set(id, await this.cluster.broker(id).request('DescribeTopics', { topics: [...names], includeConfigs: false }));
        } catch (e) {
          // That broker is unreachable: the partitions it leads keep -1 offsets.
          this.ctx.logger.debug(`describeTopics: broker ${id} did not answer`, { error: e instanceof Error ? e.message : String(e) });
        }
      }),
    );
    for (const t of first.topics) {
      t.partitions = t.partitions.map((p) => {
        const fromLeader = answers.get(p.leaderId)?.topics.find((x) => x.name === t.name)?.partitions.find((x) => x.partition === p.partition);
        return fromLeader ?? p;
      });
    }
    return first;
  }

  /**
   * Changes settings of existing topics at run time. Validated by the broker like creation
   * (INVALID_CONFIG names the setting); all changes of one topic apply together or not at all,
   * are persisted, and apply to every partition at once.
   */
  async alterTopicConfigs(args: AlterTopicConfigsArgs): Promise<void> {
    this.assertConnected();
    if (!args || !Array.isArray(args.topics) || args.topics.length === 0) throw new StrataArgumentError('alterTopicConfigs: topics must be a non-empty array');
    const topics = args.topics.map((t) => {
      checkTopicName(t.topic);
      const configs = [
        ...configEntries(t.set).map((c) => ({ ...c, operation: 0 })),
        ...(t.remove ?? []).map((name: string) => ({ name, value: '', operation: 1 })),
      ];
      if (configs.length === 0) throw new StrataArgumentError(`alterTopicConfigs: nothing to change for topic "${t.topic}"`);
      return { name: t.topic, configs };
    });
    const response = await this.retrier.run(async () => {
      return this.cluster.requestController('AlterTopicConfigs', { topics, validateOnly: args.validateOnly ?? false }, undefined, (r) => r.topics.map((t) => t.errorCode));
    });
    throwErrors(
      response.topics.filter((r) => r.errorCode !== 0).map((r) => topicError(r.errorCode, r.name, r.errorMessage)),
      'alterTopicConfigs',
    );
  }

  /** Effective settings of topics: each value and whether it is the broker default. */
  async describeTopicConfigs(args: { topics: readonly string[] }): Promise<TopicConfigs[]> {
    const { topics } = await this.describeTopics({ topics: args.topics });
    return topics.map((t) => ({ topic: t.name, configs: t.configs }));
  }

  /** Low (log start) and high (high watermark) offsets of every partition of `topic`. */
  async fetchTopicOffsets(topic: string): Promise<TopicPartitionOffsets[]> {
    this.assertConnected();
    checkTopicName(topic);
    return this.retrier.run(async () => {
      const partitions = await this.partitionsOf(topic);
      const [low, high] = await Promise.all([
        listOffsets(this.cluster, topic, partitions, OffsetSpec.EARLIEST),
        listOffsets(this.cluster, topic, partitions, OffsetSpec.LATEST),
      ]);
      return partitions.map((partition) => {
        const h = high.get(partition)!.offset;
        return { partition, low: low.get(partition)!.offset, high: h, offset: h };
      });
    });
  }

  /**
   * For every partition of `topic`, the first offset whose record timestamp is at or after
   * `timestamp` (ms since the epoch), or the high watermark when there is none. Without a
   * timestamp: the high watermarks.
   */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<PartitionOffset[]> {
    this.assertConnected();
    checkTopicName(topic);
    if (timestamp !== undefined && (!Number.isSafeInteger(timestamp) || timestamp < 0)) {
      throw new StrataArgumentError(`fetchTopicOffsetsByTimestamp: timestamp must be a non-negative integer (ms since the epoch), got ${timestamp}`);
    }
    return this.retrier.run(async () => {
      const partitions = await this.partitionsOf(topic);
      const [found, high] = await Promise.all([
        listOffsets(this.cluster, topic, partitions, timestamp ?? OffsetSpec.LATEST),
        listOffsets(this.cluster, topic, partitions, OffsetSpec.LATEST),
      ]);
      return partitions.map((partition) => {
        const offset = found.get(partition)!.offset;
        return { partition, offset: offset < 0 ? high.get(partition)!.offset : offset };
      });
    });
  }

  /** Consumer groups with members or committed offsets, with their state and member count. */
  async listGroups(args?: ListGroupsArgs): Promise<ListedGroupInfo[]> {
    this.assertConnected();
    return this.groups.listGroups(args);
  }

  /**
   * State, members (subscriptions, assignments) and, unless `includeOffsets` is false, committed
   * offsets and lag per partition of each group. A group that does not exist has state 'dead'.
   */
  async describeGroups(groupIds: readonly string[], options?: DescribeGroupsOptions): Promise<GroupDescriptionInfo[]> {
    this.assertConnected();
    return this.groups.describeGroups(groupIds, options);
  }

  /** describeGroups for one group. */
  async describeGroup(groupId: string, options?: DescribeGroupsOptions): Promise<GroupDescriptionInfo> {
    const [description] = await this.describeGroups([groupId], options);
    return description!;
  }

  /** A group's committed offsets (the next offset to consume; -1 where nothing is committed). */
  async fetchOffsets(args: FetchOffsetsArgs): Promise<TopicOffsets[]> {
    this.assertConnected();
    return this.groups.fetchOffsets(args);
  }

  /**
   * Sets a group's committed offsets of a topic: 'earliest', 'latest', `{ timestamp }` or explicit
   * `{ partitions: [{ partition, offset }] }`. Only while the group has no members (NON_EMPTY_GROUP
   * otherwise). Resolves with the offsets committed.
   */
  async resetOffsets(args: ResetOffsetsArgs): Promise<Array<{ partition: number; offset: number }>> {
    this.assertConnected();
    return this.groups.resetOffsets(args);
  }

  /** Deletes groups without members, with their committed offsets (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP). */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    this.assertConnected();
    return this.groups.deleteGroups(groupIds);
  }

  /** Brokers, the controller, and partitions that are under-replicated or without a leader. */
  async describeCluster(): Promise<ClusterDescription> {
    this.assertConnected();
    return this.clusterOps.describeCluster();
  }

  /** Moves leadership to each partition's preferred (first) replica when it is in the ISR. */
  async electLeaders(args?: ElectLeadersArgs): Promise<ElectionResult[]> {
    this.assertConnected();
    return this.clusterOps.electLeaders(args);
  }

  /**
   * Rewrites damaged segments of a topic's partitions (all, or those given) without their damaged
   * batches, so consumers move past them; reports the offsets lost (docs/operations.md).
   */
  async skipCorrupt(topic: string, partitions?: readonly number[]): Promise<SkipCorruptResult[]> {
    this.assertConnected();
    checkTopicName(topic);
    return this.clusterOps.skipCorrupt(topic, partitions);
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const metadata = await this.cluster.topicMetadata(topic);
    return metadata.partitions.map((p) => p.partition);
  }

  private assertConnected(): void {
    if (!this.connected) throw new StrataClosedError('admin is not connected: call connect() first');
  }
}

function checkTopicName(name: unknown): void {
  if (typeof name !== 'string') throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, `topic name must be a string, got ${typeof name}`);
  const problem = topicNameProblem(name);
  if (problem) throw new StrataError(ERRORS.INVALID_TOPIC_EXCEPTION, problem);
}

function configEntries(configs: TopicConfigEntries | undefined): ConfigEntryInit[] {
  if (!configs) return [];
  if (Array.isArray(configs)) return (configs as ReadonlyArray<{ name: string; value: string }>).map((c) => ({ name: c.name, value: c.value }));
  return Object.entries(configs as Readonly<Record<string, string>>).map(([name, value]) => ({ name, value: String(value) }));
}

/**
 * The typed error of one topic. The broker's message is kept as is when it names the topic already
 * (`topic "orders" already exists`); otherwise the topic is put in front of it.
 */
export function topicError(code: number, topic: string, message: string): StrataError {
  const text = message || errorFromCode(code).message;
  return errorFromCode(code, text.includes(topic) ? text : `topic "${topic}": ${text}`);
}

function throwErrors(errors: StrataError[], operation: string): void {
  if (errors.length === 0) return;
  if (errors.length === 1) throw errors[0];
  throw new StrataAggregateError(errors, `${operation} failed for ${errors.length} topics`);
}
