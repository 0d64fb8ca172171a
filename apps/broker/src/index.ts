/**
 * @strata/broker — the Strata broker, standalone (`strata-broker`) or embedded in-process:
 *
 *   import { startBroker } from '@strata/broker';
 *   const broker = await startBroker({ dataDir, port: 0 });
 *   // ... clients connect to broker.url ...
 *   await broker.close();
 */
export { Broker, startBroker, type RunningBroker, type StartBrokerOptions } from './broker';
export { BROKER_SETTINGS, envName, readConfigFile, resolveBrokerConfig, type BrokerConfig, type ConfigInput, type ConfigSources } from './config/broker-config';
export { TOPIC_SETTINGS } from './config/topic-config';
export { ConfigError, type SettingDef, type ValidationProblem } from './config/settings';
export { BrokerMetrics } from './metrics';
export { ManualClock, systemClock, type Clock } from './util/clock';
export { ManualScheduler, systemScheduler, type Cancel, type Scheduler } from './util/scheduler';
export { LocalMetadataStore, type MetadataStore, type TopicRecord } from './topics/metadata-store';
export { BROKER_VERSION } from './version';
export { verifyDataDir, type VerifyReport, type PartitionVerification, type SegmentProblem } from './storage/verify';
// The cluster's shared security stores (etcd), for tools and tests that run them against a real etcd.
export { EtcdCredentialStore, type EtcdStoreOptions } from './security/etcd-credential-store';
export { EtcdAclStore } from './security/etcd-acl-store';
export { EtcdLayout } from './cluster/etcd-layout';
export type { AclBinding, AclFilter } from './security/acl';
export type { AclStore } from './security/acl-store';
export type { CredentialStore } from './security/credential-store';
