/**
 * Handlers of the metadata and administration APIs: ApiVersions, Metadata, CreateTopics,
 * DeleteTopics, DescribeTopics.
 */
import { Apis, ERRORS, StrataError, allApis, topicNameProblem, type TopicMetadataInit } from '@strata/protocol';
import { describeTopicConfigs, resolveTopicConfig } from '../config/topic-config';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';

function errorOf(e: unknown): { errorCode: number; errorMessage: string } {
  if (e instanceof StrataError) return { errorCode: e.errorCode, errorMessage: e.message };
  return { errorCode: ERRORS.UNKNOWN_SERVER_ERROR.code, errorMessage: (e as Error).message };
}

export function adminHandlers(b: BrokerServices, supported: () => readonly number[]): RequestHandler[] {
  const apiVersions = handler<'ApiVersions'>(Apis.ApiVersions, () => ({
    errorCode: 0,
    apiKeys: allApis()
      .filter((a) => supported().includes(a.key))
      .map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
    brokerId: b.config.brokerId,
    clusterId: b.cluster.clusterId,
    brokerVersion: b.version,
    authMechanisms: [],
    maxFrameBytes: b.config.maxFrameBytes,
    maxBatchBytes: b.config.messageMaxBytes,
  }));

  /** A topic as this broker's view of the cluster has it (partition states from etcd in a cluster). */
  const topicMetadata = (name: string): TopicMetadataInit | null => {
    const record = b.cluster.topic(name);
    if (!record) return null;
    const partitions = [];
    for (let index = 0; index < record.partitions; index++) {
      const view = b.cluster.partition(name, index);
      const local = b.topics.partition(name, index);
      partitions.push({
        // LEADER_NOT_AVAILABLE (retriable) while a partition has no leader or no state yet.
        errorCode: !view || view.leaderId < 0 ? ERRORS.LEADER_NOT_AVAILABLE.code : local?.isLeader && local.log.offline ? ERRORS.KAFKA_STORAGE_ERROR.code : 0,
        partition: index,
        leaderId: view?.leaderId ?? -1,
        leaderEpoch: view?.leaderEpoch ?? -1,
        replicas: [...(view?.replicas ?? [])],
        isr: [...(view?.isr ?? [])],
      });
    }
    return { errorCode: 0, name, isInternal: record.internal, partitions, maxMessageBytes: resolveTopicConfig(record.configs, b.config).maxMessageBytes };
  };

  const metadata = handler<'Metadata'>(Apis.Metadata, async (ctx, req) => {
    const topics: TopicMetadataInit[] = [];
    const names = req.allTopics ? b.cluster.topicNames().filter((n) => ctx.authorize('DESCRIBE', 'TOPIC', n)) : req.topics;
    for (const name of names) {
      let topic = topicMetadata(name);
      if (!topic) {
        const problem = topicNameProblem(name);
        if (problem) {
          topics.push({ errorCode: ERRORS.INVALID_TOPIC_EXCEPTION.code, name, partitions: [] });
          continue;
        }
        if (req.allowAutoTopicCreation && b.config.autoCreateTopics) {
          const [error] = await b.cluster.createTopics([{ name, numPartitions: b.config.numPartitions, replicationFactor: -1, configs: {} }], false);
          topic = topicMetadata(name);
          if (!topic) {
            // In a cluster the new topic reaches this broker's view through etcd a moment later.
            const code = error && error.code !== 'TOPIC_ALREADY_EXISTS' && error.code !== 'NOT_CONTROLLER' ? error.errorCode : ERRORS.LEADER_NOT_AVAILABLE.code;
            topics.push({ errorCode: code, name, partitions: [] });
            continue;
          }
        } else {
          topics.push({ errorCode: ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, name, partitions: [] });
          continue;
        }
      }
      topics.push(topic);
    }
    return {
      brokers: b.cluster.brokers().map((x) => ({ nodeId: x.nodeId, url: x.url, rack: x.rack })),
      clusterId: b.cluster.clusterId,
      controllerId: b.cluster.controllerId(),
      topics,
    };
  });

  const createTopics = handler<'CreateTopics'>(Apis.CreateTopics, async (_ctx, req) => {
    const requests = req.topics.map((t) => {
      const configs: Record<string, string> = {};
      for (const c of t.configs) configs[c.name] = c.value;
      return { name: t.name, numPartitions: t.numPartitions === 0 ? b.config.numPartitions : t.numPartitions, replicationFactor: t.replicationFactor, configs };
    });
    const errors = await b.cluster.createTopics(requests, req.validateOnly);
    return {
      topics: requests.map((r, i) => {
        const e = errors[i];
        return e ? { name: r.name, ...errorOf(e), numPartitions: 0 } : { name: r.name, errorCode: 0, errorMessage: '', numPartitions: r.numPartitions };
      }),
    };
  });

  const deleteTopics = handler<'DeleteTopics'>(Apis.DeleteTopics, async (_ctx, req) => ({
    topics: await Promise.all(
      req.names.map(async (name) => {
        try {
          await b.cluster.deleteTopic(name);
          return { name, errorCode: 0, errorMessage: '' };
        } catch (e) {
          return { name, ...errorOf(e) };
        }
      }),
    ),
  }));

  /**
   * Offsets and sizes are known where a replica lives: a broker describes the partitions it leads
   * with them and the others with -1 (clients ask every broker and take each leader's answer).
   */
  const describeTopics = handler<'DescribeTopics'>(Apis.DescribeTopics, (ctx, req) => {
    const names = req.topics.length > 0 ? req.topics : b.cluster.topicNames().filter((n) => ctx.authorize('DESCRIBE', 'TOPIC', n));
    return {
      topics: names.map((name) => {
        const record = b.cluster.topic(name);
        if (!record) {
          return { name, errorCode: ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, errorMessage: `topic "${name}" does not exist`, partitions: [], configs: [] };
        }
        const partitions = [];
        for (let index = 0; index < record.partitions; index++) {
          const view = b.cluster.partition(name, index);
          const local = b.topics.partition(name, index);
          const led = local?.isLeader ? local : undefined;
          partitions.push({
            partition: index,
            errorCode: led?.log.offline ? ERRORS.KAFKA_STORAGE_ERROR.code : 0,
            leaderId: view?.leaderId ?? -1,
            leaderEpoch: view?.leaderEpoch ?? -1,
            logStartOffset: led ? led.log.logStartOffset : -1,
            logEndOffset: led ? led.log.logEndOffset : -1,
            highWatermark: led ? led.log.highWatermark : -1,
            sizeBytes: led ? led.log.size : -1,
            segmentCount: led ? led.log.segments.length : -1,
            replicas: [...(view?.replicas ?? [])],
            isr: [...(view?.isr ?? [])],
          });
        }
        return { name, errorCode: 0, isInternal: record.internal, partitions, configs: req.includeConfigs ? describeTopicConfigs(record.configs, b.config) : [] };
      }),
    };
  });

  const alterTopicConfigs = handler<'AlterTopicConfigs'>(Apis.AlterTopicConfigs, async (_ctx, req) => ({
    topics: await Promise.all(
      req.topics.map(async (t) => {
        const set: Record<string, string> = {};
        const remove: string[] = [];
        try {
          for (const c of t.configs) {
            if (c.operation === 0) set[c.name] = c.value;
            else if (c.operation === 1) remove.push(c.name);
            else throw new StrataError(ERRORS.INVALID_REQUEST, `unknown config operation ${c.operation} for ${c.name} (0 = set, 1 = remove)`);
          }
          await b.cluster.alterTopicConfigs(t.name, set, remove, req.validateOnly);
          return { name: t.name, errorCode: 0, errorMessage: '' };
        } catch (e) {
          return { name: t.name, ...errorOf(e) };
        }
      }),
    ),
  }));

  // Each handler's request type is its API's; the connection only passes an API's own body.
  return [apiVersions, metadata, createTopics, deleteTopics, describeTopics, alterTopicConfigs] as RequestHandler[];
}
