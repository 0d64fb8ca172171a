export * from './broker-process';
export { EtcdProcess, requireEtcd, type EtcdProcessOptions } from './etcd-process';
export { LocalCluster, type LocalClusterOptions } from './local-cluster';
