/**
 * Handlers of the metadata and administration APIs: ApiVersions, Metadata, CreateTopics,
 * DeleteTopics, DescribeTopics.
 */
import { Apis, ERRORS, StrataError, allApis, topicNameProblem, type TopicMetadataInit } from '@strata/protocol';
import { describeTopicConfigs } from '../config/topic-config';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';
import type { Topic } from '../topics/topic-manager';

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
    clusterId: b.topics.clusterId,
    brokerVersion: b.version,
    authMechanisms: [],
    maxFrameBytes: b.config.maxFrameBytes,
    maxBatchBytes: b.config.messageMaxBytes,
  }));

  const topicMetadata = (topic: Topic): TopicMetadataInit => ({
    errorCode: 0,
    name: topic.record.name,
    isInternal: topic.record.internal,
    partitions: topic.partitions.map((p) => ({
      errorCode: p.log.offline ? ERRORS.KAFKA_STORAGE_ERROR.code : 0,
      partition: p.index,
      leaderId: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      replicas: [...p.replicas],
      isr: [...p.isr],
    })),
    maxMessageBytes: topic.config.maxMessageBytes,
  });

  const metadata = handler<'Metadata'>(Apis.Metadata, async (ctx, req) => {
    const topics: TopicMetadataInit[] = [];
    const names = req.allTopics ? b.topics.list().map((t) => t.record.name).filter((n) => ctx.authorize('DESCRIBE', 'TOPIC', n)) : req.topics;
    for (const name of names) {
      let topic = b.topics.get(name);
      if (!topic) {
        const problem = topicNameProblem(name);
        if (problem) {
          topics.push({ errorCode: ERRORS.INVALID_TOPIC_EXCEPTION.code, name, partitions: [] });
          continue;
        }
        if (req.allowAutoTopicCreation && b.config.autoCreateTopics) {
          try {
            topic = await b.topics.create({ name, numPartitions: b.config.numPartitions, configs: {} });
          } catch (e) {
            topic = b.topics.get(name); // created concurrently by another request
            if (!topic) {
              topics.push({ errorCode: errorOf(e).errorCode, name, partitions: [] });
              continue;
            }
          }
        } else {
          topics.push({ errorCode: ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, name, partitions: [] });
          continue;
        }
      }
      topics.push(topicMetadata(topic));
    }
    return {
      brokers: [{ nodeId: b.config.brokerId, url: b.advertisedUrl(), rack: '' }],
      clusterId: b.topics.clusterId,
      controllerId: b.config.brokerId,
      topics,
    };
  });

  const createTopics = handler<'CreateTopics'>(Apis.CreateTopics, async (_ctx, req) => {
    const results = await Promise.all(
      req.topics.map(async (t) => {
        const configs: Record<string, string> = {};
        for (const c of t.configs) configs[c.name] = c.value;
        const numPartitions = t.numPartitions === 0 ? b.config.numPartitions : t.numPartitions;
        try {
          if (t.replicationFactor > 1) {
            throw new StrataError(ERRORS.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} is larger than the cluster (1 broker)`);
          }
          const request = { name: t.name, numPartitions, configs };
          if (req.validateOnly) b.topics.validateCreate(request);
          else await b.topics.create(request);
          return { name: t.name, errorCode: 0, errorMessage: '', numPartitions };
        } catch (e) {
          return { name: t.name, ...errorOf(e), numPartitions: 0 };
        }
      }),
    );
    return { topics: results };
  });

  const deleteTopics = handler<'DeleteTopics'>(Apis.DeleteTopics, async (_ctx, req) => ({
    topics: await Promise.all(
      req.names.map(async (name) => {
        try {
          await b.topics.delete(name);
          return { name, errorCode: 0, errorMessage: '' };
        } catch (e) {
          return { name, ...errorOf(e) };
        }
      }),
    ),
  }));

  const describeTopics = handler<'DescribeTopics'>(Apis.DescribeTopics, (ctx, req) => {
    const names = req.topics.length > 0 ? req.topics : b.topics.list().map((t) => t.record.name).filter((n) => ctx.authorize('DESCRIBE', 'TOPIC', n));
    return {
      topics: names.map((name) => {
        const topic = b.topics.get(name);
        if (!topic) {
          return { name, errorCode: ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, errorMessage: `topic "${name}" does not exist`, partitions: [], configs: [] };
        }
        return {
          name,
          errorCode: 0,
          isInternal: topic.record.internal,
          partitions: topic.partitions.map((p) => ({
            partition: p.index,
            errorCode: p.log.offline ? ERRORS.KAFKA_STORAGE_ERROR.code : 0,
            leaderId: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            logStartOffset: p.log.logStartOffset,
            logEndOffset: p.log.logEndOffset,
            highWatermark: p.log.highWatermark,
            sizeBytes: p.log.size,
            segmentCount: p.log.segments.length,
          })),
          configs: req.includeConfigs ? describeTopicConfigs(topic.record.configs, b.config) : [],
        };
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
          await b.topics.alterConfigs(t.name, set, remove, req.validateOnly);
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
