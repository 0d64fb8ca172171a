/**
 * Cluster handlers: DescribeCluster (brokers, controller, under-replicated and offline
 * partitions), ElectLeaders and ControlledShutdown (the controller's work, through ClusterView).
 */
import { Apis, ERRORS, StrataError, type PartitionReplicaStateInit } from '@strata/protocol';
import type { ClusterView } from '../cluster/cluster-view';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';

function errorOf(e: unknown): { errorCode: number; errorMessage: string } {
  const err = e instanceof StrataError ? e : new StrataError(ERRORS.UNKNOWN_SERVER_ERROR, (e as Error).message);
  return { errorCode: err.errorCode, errorMessage: err.message };
}

export function clusterHandlers(b: BrokerServices, cluster: ClusterView): RequestHandler[] {
  const describe = handler<'DescribeCluster'>(Apis.DescribeCluster, () => {
    const underReplicated: PartitionReplicaStateInit[] = [];
    const offline: PartitionReplicaStateInit[] = [];
    let partitionCount = 0;
    for (const name of b.cluster.topicNames()) {
      const record = b.cluster.topic(name)!;
      for (let index = 0; index < record.partitions; index++) {
        partitionCount++;
        const p = b.cluster.partition(name, index);
        const local = b.topics.partition(name, index);
        const state = { topic: name, partition: index, leaderId: p?.leaderId ?? -1, leaderEpoch: p?.leaderEpoch ?? -1, replicas: [...(p?.replicas ?? [])], isr: [...(p?.isr ?? [])] };
        if (!p || p.leaderId < 0 || (local?.isLeader && local.log.offline)) offline.push(state);
        else if (p.isr.length < p.replicas.length) underReplicated.push(state);
      }
    }
    return {
      errorCode: 0,
      clusterId: b.cluster.clusterId,
      controllerId: cluster.controllerId(),
      controllerEpoch: cluster.controllerEpoch(),
      brokers: cluster.brokers(),
      underReplicated,
      offline,
      partitionCount,
    };
  });

  const elect = handler<'ElectLeaders'>(Apis.ElectLeaders, async (_ctx, req) => {
    if (req.electionType !== 0 && req.electionType !== 1) {
      return { errorCode: ERRORS.INVALID_REQUEST.code, errorMessage: `election_type must be 0 (preferred) or 1 (unclean), got ${req.electionType}`, topics: [] };
    }
    try {
      const outcomes = await cluster.electLeaders(
        req.electionType === 0 ? 'preferred' : 'unclean',
        req.topics.length === 0 ? null : req.topics.map((t) => ({ topic: t.name, partitions: [...t.partitions] })),
        req.timeoutMs > 0 ? req.timeoutMs : 30_000,
      );
      const byTopic = new Map<string, Array<{ partition: number; errorCode: number; errorMessage: string }>>();
      for (const o of outcomes) {
        const list = byTopic.get(o.topic) ?? [];
        list.push({ partition: o.partition, ...(o.error ? errorOf(o.error) : { errorCode: 0, errorMessage: '' }) });
        byTopic.set(o.topic, list);
      }
      return { errorCode: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    } catch (e) {
      return { ...errorOf(e), topics: [] };
    }
  });

  const shutdown = handler<'ControlledShutdown'>(Apis.ControlledShutdown, async (_ctx, req) => {
    try {
      return { errorCode: 0, remainingLeaderships: await cluster.controlledShutdown(req.brokerId, req.brokerEpoch) };
    } catch (e) {
      return errorOf(e);
    }
  });

  return [describe, elect, shutdown] as RequestHandler[];
}
