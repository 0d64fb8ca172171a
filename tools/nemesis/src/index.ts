/**
 * @strata/nemesis: a Jepsen-style fault harness for Strata's replicated cluster. Entry points:
 * `npm run nemesis` (main.ts), `node tools/nemesis/dist/check.js <history>` (check.ts), and these
 * exports for the short run in `npm test`.
 */
export { runNemesis, DEFAULT_WEIGHTS, CLUSTER_SETTINGS, type RunOptions, type RunResult } from './run';
export { checkHistoryFile, checkModel, formatVerdict, type Verdict } from './checker/checker';
export { ANOMALY_CLASSES, ANOMALY_NAMES, type AnomalyClass } from './checker/anomalies';
export { buildModel } from './checker/history-model';
export { HistoryWriter, readHistory, mergeHistories, type Op } from './history';
export { FaultProxy, ALL, type CutMode } from './net/fault-proxy';
export { ProxiedCluster, brokerSource, clientSource } from './cluster/proxied-cluster';
export { FAULT_KINDS, type FaultKind } from './nemesis/faults';
export { measureFailover, formatFailover, distribution, type FailoverFigures } from './failover';
