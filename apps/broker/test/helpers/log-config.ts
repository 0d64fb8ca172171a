import type { LogConfig } from '../../src/storage/log';

/** A full log configuration with small segments, for storage tests. */
export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    producerIdExpirationMs: 86_400_000,
    segmentBytes: 4096,
    segmentMs: 3_600_000,
    indexIntervalBytes: 512,
    maxMessageBytes: 1048588,
    compact: false,
    delete: true,
    retentionMs: -1,
    retentionBytes: -1,
    deleteRetentionMs: 86_400_000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    minInsyncReplicas: 1,
    uncleanLeaderElection: false,
    ...overrides,
  };
}
