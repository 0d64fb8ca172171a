/**
 * Handlers of the consumer-group APIs: FindCoordinator, ConsumerGroupHeartbeat,
 * ConsumerGroupDescribe, OffsetCommit, OffsetFetch, ListGroups and DeleteGroups. They translate
 * between the wire and the GroupCoordinator (groups/); errors travel inside the responses.
 */
import { Apis, ERRORS } from '@strata/protocol';
import { describeGroups, deleteGroups, listGroups } from '../groups/group-admin';
import { CONSUMER_OFFSETS_TOPIC } from '../groups';
import { offsetsPartitionFor } from '../groups/offset-records';
import type { GroupCoordinator } from '../groups/group-coordinator';
import { commitOffsets, fetchOffsets } from '../groups/group-offsets';
import { onlyDescribable } from '../security/filters';
import { handler, type BrokerServices, type RequestHandler } from '../server/handler';

/** FindCoordinator key type of consumer groups, the only one this broker knows. */
const KEY_TYPE_GROUP = 0;

export function groupHandlers(b: BrokerServices, coordinator: GroupCoordinator): RequestHandler[] {
  const findCoordinator = handler<'FindCoordinator'>(Apis.FindCoordinator, (_ctx, req) => ({
    coordinators: req.keys.map((key) => {
      if (req.keyType !== KEY_TYPE_GROUP) {
        return { key, nodeId: -1, url: '', errorCode: ERRORS.INVALID_REQUEST.code, errorMessage: `key_type ${req.keyType} is not supported; use 0 (group)` };
      }
      if (key.length === 0) return { key, nodeId: -1, url: '', errorCode: ERRORS.INVALID_GROUP_ID.code, errorMessage: 'the group id is empty' };
      if (!b.cluster.clustered) return { key, nodeId: b.config.brokerId, url: b.advertisedUrl(), errorCode: 0, errorMessage: '' };
      // In a cluster: the leader of the group's __consumer_offsets partition coordinates it.
      const offsets = b.cluster.topic(CONSUMER_OFFSETS_TOPIC);
      const index = offsets ? offsetsPartitionFor(key, offsets.partitions) : -1;
      const leader = offsets ? b.cluster.partition(CONSUMER_OFFSETS_TOPIC, index)?.leaderId ?? -1 : -1;
      const broker = b.cluster.brokers().find((x) => x.nodeId === leader);
      if (!broker) {
        return { key, nodeId: -1, url: '', errorCode: ERRORS.COORDINATOR_NOT_AVAILABLE.code, errorMessage: offsets ? `__consumer_offsets-${index} has no leader right now` : 'the __consumer_offsets topic is not created yet' };
      }
      return { key, nodeId: broker.nodeId, url: broker.url, errorCode: 0, errorMessage: '' };
    }),
  }));

  const heartbeat = handler<'ConsumerGroupHeartbeat'>(Apis.ConsumerGroupHeartbeat, (ctx, req) =>
    coordinator.heartbeat(req, { id: ctx.connectionId, clientId: ctx.clientId ?? '', clientHost: ctx.clientHost, onClose: (fn) => ctx.onClose(fn), push: (push) => ctx.push(push) }),
  );

  const describe = handler<'ConsumerGroupDescribe'>(Apis.ConsumerGroupDescribe, (_ctx, req) => describeGroups(coordinator, req));
  const offsetCommit = handler<'OffsetCommit'>(Apis.OffsetCommit, (_ctx, req) => commitOffsets(coordinator, b.metrics, req));
  const offsetFetch = handler<'OffsetFetch'>(Apis.OffsetFetch, (_ctx, req) => fetchOffsets(coordinator, req));
  const list = handler<'ListGroups'>(Apis.ListGroups, (ctx, req) => onlyDescribable(ctx, listGroups(coordinator, req)));
  const remove = handler<'DeleteGroups'>(Apis.DeleteGroups, (_ctx, req) => deleteGroups(coordinator, req));

  return [findCoordinator, heartbeat, describe, offsetCommit, offsetFetch, list, remove] as RequestHandler[];
}
