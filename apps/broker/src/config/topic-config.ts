/**
 * Topic-level settings. A topic stores only the values set on it; everything else follows the
 * broker default named in `brokerKey`, so changing a broker default changes every topic that did
 * not override it.
 */
import type { BrokerConfig } from './broker-config';
import { ConfigError, INT32_MAX, boolSetting, enumSetting, intSetting, numberSetting, validateSettings, type SettingDef } from './settings';

interface TopicSettingDef extends SettingDef {
  /** Broker setting that provides the default. */
  brokerKey: string;
}

function topic(def: SettingDef, brokerKey: string): TopicSettingDef {
  return { ...def, brokerKey };
}

export const TOPIC_SETTINGS: readonly TopicSettingDef[] = [
  topic(intSetting('segment.bytes', 1024 * 1024 * 1024, 1024, INT32_MAX, 'Roll the active segment before it grows past this size.'), 'log.segment.bytes'),
  topic(intSetting('segment.ms', 7 * 24 * 3600 * 1000, 1, Number.MAX_SAFE_INTEGER, 'Roll the active segment once its first batch is this old, even if not full.'), 'log.roll.ms'),
  topic(intSetting('index.interval.bytes', 4096, 0, INT32_MAX, 'Bytes of log between two offset-index entries.'), 'log.index.interval.bytes'),
  topic(intSetting('max.message.bytes', 1048588, 64, INT32_MAX, 'Largest record batch the topic accepts (after compression).'), 'message.max.bytes'),
  topic(
    enumSetting(
      'cleanup.policy',
      'delete',
      ['delete', 'compact', 'compact,delete', 'delete,compact'] as const,
      'delete: old segments are removed by retention. compact: the log keeps at least the latest record of every key. Both: compacted and retention-limited.',
    ),
    'log.cleanup.policy',
  ),
  topic(
    intSetting('retention.ms', 7 * 24 * 3600 * 1000, -1, Number.MAX_SAFE_INTEGER, 'Delete a closed segment once its newest record is older than this (-1: never). Applies when cleanup.policy includes delete.'),
    'log.retention.ms',
  ),
  topic(
    intSetting('retention.bytes', -1, -1, Number.MAX_SAFE_INTEGER, 'Delete the oldest closed segments while the partition is larger than this (-1: no limit). Applies when cleanup.policy includes delete.'),
    'log.retention.bytes',
  ),
  topic(
    intSetting('delete.retention.ms', 24 * 3600 * 1000, 0, Number.MAX_SAFE_INTEGER, 'How long the cleaner keeps a tombstone (a record with a null value), counted from its timestamp, so consumers can see the deletion.'),
    'log.cleaner.delete.retention.ms',
  ),
  topic(
    numberSetting('min.cleanable.dirty.ratio', 0.5, 0, 1, 'Compact a log only when at least this share of its closed segments has not been cleaned yet.'),
    'log.cleaner.min.cleanable.ratio',
  ),
  topic(
    intSetting('min.compaction.lag.ms', 0, 0, Number.MAX_SAFE_INTEGER, 'Records younger than this are never compacted away.'),
    'log.cleaner.min.compaction.lag.ms',
  ),
  topic(
    intSetting(
      'min.insync.replicas',
      1,
      1,
      1000,
      'In a cluster: a produce with acks=all is refused (NOT_ENOUGH_REPLICAS) while fewer replicas than this are in sync, and the high watermark does not advance. With the replication factor 3 and 2 here, one broker can fail without losing an acknowledged record or availability.',
    ),
    'min.insync.replicas',
  ),
  topic(
    boolSetting(
      'unclean.leader.election.enable',
      false,
      'In a cluster: when every in-sync replica of a partition is down, elect a replica outside the ISR (the partition comes back, but acknowledged records only the lost replicas had are gone). Off: the partition waits for an in-sync replica.',
    ),
    'unclean.leader.election.enable',
  ),
];

export interface TopicConfig {
  producerIdExpirationMs: number;
  segmentBytes: number;
  segmentMs: number;
  indexIntervalBytes: number;
  maxMessageBytes: number;
  compact: boolean;
  delete: boolean;
  retentionMs: number;
  retentionBytes: number;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  minInsyncReplicas: number;
  uncleanLeaderElection: boolean;
}

/** Validates topic configs (as strings, from CreateTopics or the metadata file). Throws ConfigError. */
export function validateTopicConfigs(configs: Record<string, string>): Record<string, string> {
  const sources = Object.fromEntries(Object.keys(configs).map((k) => [k, 'topic' as const]));
  const { problems } = validateSettings(TOPIC_SETTINGS, configs, sources);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...configs };
}

/** Effective value of every topic setting, as strings, with whether it is the broker default. */
export function describeTopicConfigs(overrides: Record<string, string>, broker: BrokerConfig): Array<{ name: string; value: string; isDefault: boolean }> {
  return TOPIC_SETTINGS.map((d) => {
    const own = overrides[d.key];
    return own !== undefined ? { name: d.key, value: own, isDefault: false } : { name: d.key, value: String(broker.raw[d.brokerKey]), isDefault: true };
  });
}

export function resolveTopicConfig(overrides: Record<string, string>, broker: BrokerConfig): TopicConfig {
  const values: Record<string, unknown> = {};
  for (const d of TOPIC_SETTINGS) {
    const own = overrides[d.key];
    values[d.key] = own !== undefined ? d.schema.parse(own) : broker.raw[d.brokerKey];
  }
  return {
    producerIdExpirationMs: broker.producerIdExpirationMs,
    segmentBytes: values['segment.bytes'] as number, // parsed by the table's schema
    segmentMs: values['segment.ms'] as number,
    indexIntervalBytes: values['index.interval.bytes'] as number,
    maxMessageBytes: values['max.message.bytes'] as number,
    compact: (values['cleanup.policy'] as string).includes('compact'),
    delete: (values['cleanup.policy'] as string).includes('delete'),
    retentionMs: values['retention.ms'] as number,
    retentionBytes: values['retention.bytes'] as number,
    deleteRetentionMs: values['delete.retention.ms'] as number,
    minCleanableDirtyRatio: values['min.cleanable.dirty.ratio'] as number,
    minCompactionLagMs: values['min.compaction.lag.ms'] as number,
    minInsyncReplicas: values['min.insync.replicas'] as number,
    uncleanLeaderElection: values['unclean.leader.election.enable'] as boolean,
  };
}
