/**
 * KafkaJS's Admin over the SDK's: topics, topic configs, offsets and consumer groups in KafkaJS's
 * argument and result shapes (offsets as strings, `createTopics` resolving true, or false when every
 * topic existed already). Operations Strata does not have (ACLs, partition reassignments, adding
 * partitions, deleting records, broker configs) throw KafkaJSNotImplemented naming the operation.
 * Single-threaded.
 */
import type { Admin as StrataAdmin } from '../admin/admin';
import { StrataAggregateError } from '../errors';
import type { Strata } from '../index';
import { StrataError } from '@strata/protocol';
import { asKafkaJS, invalidOption, notSupported } from './errors';
import { AdminEvents, EventRouter, networkRoutes, nullPayload, QUEUE_SIZE, strataOn, type InstrumentationEvent, type RemoveInstrumentationEventListener } from './events';
import { toGroupDescription, type GroupDescriptions } from './groups';
import type { Logger } from './logger';
import { checkKeys, parseOffset, toStrataRetry, type RetryOptions } from './options';
import type { PartitionMetadata } from './partitioners';
import type { ComponentContext } from './producer';

export const ConfigResourceTypes = Object.freeze({ UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const);
export type ConfigResourceTypes = (typeof ConfigResourceTypes)[keyof typeof ConfigResourceTypes];

export const ConfigSource = Object.freeze({
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const);
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

export interface AdminConfig {
  retry?: RetryOptions;
}

export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: Array<{ partition: number; replicas: number[] }>;
  configEntries?: Array<{ name: string; value: string }>;
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export interface SeekEntry {
  partition: number;
  offset: string;
}

export interface ConfigEntries {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: Array<{ configName: string; configValue: string; configSource: ConfigSource }>;
}

export interface DescribeConfigResponse {
  resources: Array<{ configEntries: ConfigEntries[]; errorCode: number; errorMessage: string; resourceName: string; resourceType: ConfigResourceTypes }>;
  throttleTime: number;
}

export interface ResourceConfigQuery {
  type: ConfigResourceTypes;
  name: string;
  configNames?: string[];
}

export interface IResourceConfig {
  type: ConfigResourceTypes;
  name: string;
  configEntries: Array<{ name: string; value: string }>;
}

const NOT_IN_STRATA = {
  createPartitions: 'Strata cannot add partitions to a topic yet',
  describeAcls: 'Strata has no ACLs yet',
  createAcls: 'Strata has no ACLs yet',
  deleteAcls: 'Strata has no ACLs yet',
  deleteTopicRecords: 'Strata cannot delete records below an offset yet',
  alterPartitionReassignments: 'Strata has no partition reassignments',
  listPartitionReassignments: 'Strata has no partition reassignments',
} as const;

export class Admin {
  readonly events = AdminEvents;
  private readonly admin: StrataAdmin;
  private readonly router: EventRouter;
  private readonly brokers = new Map<number, { nodeId: number; host: string; port: number }>();
  private clusterId = '';

  constructor(
    private readonly ctx: ComponentContext,
    config: AdminConfig = {},
  ) {
    checkKeys(config, ['retry'], 'admin');
    const retry = toStrataRetry(config.retry, 'admin', false);
    const strata: Strata = ctx.strata({ namespace: 'Admin' });
    this.admin = strata.admin(retry ? { retry } : undefined);
    this.router = new EventRouter(AdminEvents, {
      CONNECT: { from: 'admin.connect', payload: nullPayload },
      DISCONNECT: { from: 'admin.disconnect', payload: nullPayload },
      ...networkRoutes(ctx.clientId),
      REQUEST_QUEUE_SIZE: QUEUE_SIZE,
    });
    this.router.bind(strataOn(this.admin));
    this.admin.on('connection.connect', ({ payload }) => {
      const url = new URL(payload.url);
      this.brokers.set(payload.brokerId, { nodeId: payload.brokerId, host: url.hostname, port: Number(url.port) || (url.protocol === 'wss:' ? 443 : 80) });
      this.clusterId = payload.clusterId;
    });
  }

  connect(): Promise<void> {
    return asKafkaJS(() => this.admin.connect());
  }

  disconnect(): Promise<void> {
    return asKafkaJS(() => this.admin.disconnect());
  }

  logger(): Logger {
    return this.ctx.logger;
  }

  on(eventName: string, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<string> {
    return this.router.on(eventName, listener);
  }

  listTopics(): Promise<string[]> {
    return asKafkaJS(() => this.admin.listTopics());
  }

  /** Resolves true when the topics were created, false when every one that failed existed already. */
  async createTopics(options: { validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number; topics: ITopicConfig[] }): Promise<boolean> {
    return asKafkaJS(async () => {
      checkKeys(options, ['validateOnly', 'waitForLeaders', 'timeout', 'topics'], 'createTopics');
      if (!options || !Array.isArray(options.topics)) throw invalidOption('createTopics.topics', 'expected an array of { topic, numPartitions?, ... }');
      const topics = options.topics.map((t, i) => {
        checkKeys(t, ['topic', 'numPartitions', 'replicationFactor', 'replicaAssignment', 'configEntries'], `createTopics.topics[${i}]`);
        if (t.replicaAssignment !== undefined && t.replicaAssignment.length > 0) throw notSupported(`createTopics.topics[${i}].replicaAssignment`, 'Strata places replicas itself');
        return {
          topic: t.topic,
          ...(t.numPartitions !== undefined && t.numPartitions !== -1 ? { numPartitions: t.numPartitions } : {}),
          ...(t.replicationFactor !== undefined && t.replicationFactor !== -1 ? { replicationFactor: t.replicationFactor } : {}),
          ...(t.configEntries !== undefined ? { configs: t.configEntries } : {}),
        };
      });
      try {
        await this.admin.createTopics({ topics, ...(options.validateOnly !== undefined ? { validateOnly: options.validateOnly } : {}), ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) });
        return true;
      } catch (error) {
        const errors = error instanceof StrataAggregateError ? error.errors : [error];
        if (errors.every((e) => e instanceof StrataError && e.code === 'TOPIC_ALREADY_EXISTS')) return false;
        throw error;
      }
    });
  }

  deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void> {
    return asKafkaJS(() => {
      checkKeys(options, ['topics', 'timeout'], 'deleteTopics');
      return this.admin.deleteTopics({ topics: options.topics, ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) });
    });
  }

  fetchTopicMetadata(options: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    return asKafkaJS(async () => {
      checkKeys(options, ['topics'], 'fetchTopicMetadata');
      const { topics } = await this.admin.describeTopics(options.topics ? { topics: options.topics } : {});
      return {
        topics: topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionErrorCode: 0, partitionId: p.partition, leader: p.leader, replicas: [p.leader], isr: [p.leader], offlineReplicas: [] })),
        })),
      };
    });
  }

  fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    return asKafkaJS(async () =>
      (await this.admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: String(p.offset), high: String(p.high), low: String(p.low) })),
    );
  }

  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]> {
    return asKafkaJS(async () => (await this.admin.fetchTopicOffsetsByTimestamp(topic, timestamp)).map((p) => ({ partition: p.partition, offset: String(p.offset) })));
  }

  /** Committed offsets ('-1' where none); with resolveOffsets, -1/-2 become the log end/start and are written to the group, as in KafkaJS. */
  fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<Array<{ topic: string; partitions: Array<SeekEntry & { metadata: string | null }> }>> {
    return asKafkaJS(async () => {
      checkKeys(options, ['groupId', 'topics', 'resolveOffsets'], 'fetchOffsets');
      if (!options || typeof options.groupId !== 'string' || options.groupId.length === 0) throw invalidOption('fetchOffsets.groupId', `Invalid groupId ${String(options?.groupId)}`);
      const fetched = await this.admin.fetchOffsets({ groupId: options.groupId, ...(options.topics ? { topics: options.topics } : {}) });
      const result = fetched.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, offset: String(p.offset), metadata: p.metadata === '' ? null : p.metadata })) }));
      if (!options.resolveOffsets) return result;
      for (const t of result) {
        const ends = new Map((await this.admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, o]));
        for (const p of t.partitions) {
          if (p.offset === '-1') p.offset = String(ends.get(p.partition)?.high ?? -1);
          else if (p.offset === '-2') p.offset = String(ends.get(p.partition)?.low ?? -1);
        }
        await this.setOffsets({ groupId: options.groupId, topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) });
      }
      return result;
    });
  }

  /** Sets a group's committed offsets (the group must have no members). */
  setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    return asKafkaJS(async () => {
      checkKeys(options, ['groupId', 'topic', 'partitions'], 'setOffsets');
      const partitions = options.partitions.map((p, i) => ({ partition: p.partition, offset: parseOffset(p.offset, `setOffsets.partitions[${i}].offset`) }));
      await this.admin.resetOffsets({ groupId: options.groupId, topic: options.topic, to: { partitions } });
    });
  }

  resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    return asKafkaJS(async () => {
      checkKeys(options, ['groupId', 'topic', 'earliest'], 'resetOffsets');
      await this.admin.resetOffsets({ groupId: options.groupId, topic: options.topic, to: options.earliest ? 'earliest' : 'latest' });
    });
  }

  /** The brokers this admin has connected to (the bootstrap broker at least); `controller` is not known: null. */
  describeCluster(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string }> {
    return asKafkaJS(async () => {
      await this.admin.listTopics(); // makes sure a connection (and so a broker) is known
      return { brokers: [...this.brokers.values()], controller: null, clusterId: this.clusterId };
    });
  }

  describeConfigs(configs: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse> {
    return asKafkaJS(async () => {
      checkKeys(configs, ['resources', 'includeSynonyms'], 'describeConfigs');
      const resources = configs.resources.map((r, i) => {
        checkKeys(r, ['type', 'name', 'configNames'], `describeConfigs.resources[${i}]`);
        if (r.type !== ConfigResourceTypes.TOPIC) throw notSupported(`describeConfigs.resources[${i}].type`, 'only topic configs (ConfigResourceTypes.TOPIC) can be described; broker settings are in the broker config');
        return r;
      });
      const described = await this.admin.describeTopicConfigs({ topics: resources.map((r) => r.name) });
      return {
        throttleTime: 0,
        resources: resources.map((r, i) => ({
          resourceType: r.type,
          resourceName: r.name,
          errorCode: 0,
          errorMessage: '',
          configEntries: described[i]!.configs
            .filter((c) => !r.configNames || r.configNames.length === 0 || r.configNames.includes(c.name))
            .map((c) => ({
              configName: c.name,
              configValue: c.value,
              isDefault: c.isDefault,
              configSource: c.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG,
              isSensitive: false,
              readOnly: false,
              configSynonyms: [],
            })),
        })),
      };
    });
  }

  /** Replaces topics' configs (Kafka's AlterConfigs: a setting not listed returns to the default). */
  alterConfigs(configs: { validateOnly?: boolean; resources: IResourceConfig[] }): Promise<{ resources: Array<{ errorCode: number; errorMessage: string; resourceName: string; resourceType: ConfigResourceTypes }>; throttleTime: number }> {
    return asKafkaJS(async () => {
      checkKeys(configs, ['validateOnly', 'resources'], 'alterConfigs');
      configs.resources.forEach((r, i) => {
        checkKeys(r, ['type', 'name', 'configEntries'], `alterConfigs.resources[${i}]`);
        if (r.type !== ConfigResourceTypes.TOPIC) throw notSupported(`alterConfigs.resources[${i}].type`, 'only topic configs (ConfigResourceTypes.TOPIC) can be altered');
      });
      const current = await this.admin.describeTopicConfigs({ topics: configs.resources.map((r) => r.name) });
      await this.admin.alterTopicConfigs({
        validateOnly: configs.validateOnly ?? false,
        topics: configs.resources.map((r, i) => {
          const listed = new Set(r.configEntries.map((e) => e.name));
          const remove = current[i]!.configs.filter((c) => !c.isDefault && !listed.has(c.name)).map((c) => c.name);
          return { topic: r.name, set: r.configEntries, ...(remove.length > 0 ? { remove } : {}) };
        }),
      });
      return { throttleTime: 0, resources: configs.resources.map((r) => ({ errorCode: 0, errorMessage: '', resourceName: r.name, resourceType: r.type })) };
    });
  }

  listGroups(): Promise<{ groups: Array<{ groupId: string; protocolType: string }> }> {
    return asKafkaJS(async () => ({ groups: (await this.admin.listGroups()).map((g) => ({ groupId: g.groupId, protocolType: 'consumer' })) }));
  }

  describeGroups(groupIds: string[]): Promise<GroupDescriptions> {
    return asKafkaJS(async () => ({ groups: (await this.admin.describeGroups(groupIds, { includeOffsets: false })).map(toGroupDescription) }));
  }

  deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return asKafkaJS(async () => {
      await this.admin.deleteGroups(groupIds);
      return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
    });
  }

  createPartitions(): Promise<never> {
    return this.missing('createPartitions');
  }

  describeAcls(): Promise<never> {
    return this.missing('describeAcls');
  }

  createAcls(): Promise<never> {
    return this.missing('createAcls');
  }

  deleteAcls(): Promise<never> {
    return this.missing('deleteAcls');
  }

  deleteTopicRecords(): Promise<never> {
    return this.missing('deleteTopicRecords');
  }

  alterPartitionReassignments(): Promise<never> {
    return this.missing('alterPartitionReassignments');
  }

  listPartitionReassignments(): Promise<never> {
    return this.missing('listPartitionReassignments');
  }

  private missing(operation: keyof typeof NOT_IN_STRATA): Promise<never> {
    return Promise.reject(notSupported(`admin.${operation}()`, NOT_IN_STRATA[operation]));
  }
}
