/**
 * Which resources and operations each API touches: the one table the connection consults before
 * any handler runs (ConnectionSecurity.authorizeRequest), so a handler cannot forget a check.
 * The table is typed by API name, so adding an API to @strata/protocol without an entry here does
 * not compile; a test also sends every API as an unauthorized principal and expects a denial
 * (or, for the handshake and filtered APIs, the documented behaviour).
 *
 * Kinds:
 * - 'handshake': allowed before and without authentication (ApiVersions, SASL); never authorized;
 * - 'checked': every check must pass, or the whole request fails with the check's error code;
 * - 'filtered': the request names no resource (e.g. "every topic"); the handler returns only what
 *   the principal may describe, through RequestContext.authorize. Such APIs may still carry checks.
 * A check either names a resource, or asks for the operation on any resource of a type ("WRITE on
 * some topic"), or lets a CLUSTER grant stand in for a topic grant (CREATE, as in Kafka).
 */
import { ERRORS, type ApiName, type ErrorDefinition, type RequestOf } from '@strata/protocol';
import { CLUSTER_RESOURCE, type AclOperation, type ResourceType } from './acl';

export interface AccessCheck {
  type: ResourceType;
  /** Resource name; null: any resource of `type` will do. */
  name: string | null;
  operation: AclOperation;
  /** Also granted by `operation` on the CLUSTER resource. */
  orCluster?: boolean;
  /** Only checked when this is also denied (e.g. IDEMPOTENT_WRITE on the cluster or WRITE on any topic). */
  orElse?: AccessCheck;
}

/** What the table may ask about the broker's state. */
export interface TopicLookup {
  exists(topic: string): boolean;
  autoCreate: boolean;
}

export interface ApiAccess<N extends ApiName> {
  kind: 'handshake' | 'checked' | 'filtered';
  checks(request: RequestOf<N>, topics: TopicLookup): AccessCheck[];
}

const none = (): AccessCheck[] => [];
const topic = (name: string, operation: AclOperation, orCluster = false): AccessCheck => ({ type: 'TOPIC', name, operation, orCluster });
const group = (name: string, operation: AclOperation): AccessCheck => ({ type: 'GROUP', name, operation });
const cluster = (operation: AclOperation): AccessCheck => ({ type: 'CLUSTER', name: CLUSTER_RESOURCE, operation });
const unique = (names: Iterable<string>): string[] => [...new Set(names)];

/** The error code of a denied check, by resource type. */
export const DENIED_ERROR: Readonly<Record<ResourceType, ErrorDefinition>> = {
  TOPIC: ERRORS.TOPIC_AUTHORIZATION_FAILED,
  GROUP: ERRORS.GROUP_AUTHORIZATION_FAILED,
  CLUSTER: ERRORS.CLUSTER_AUTHORIZATION_FAILED,
};

export const API_ACCESS: { readonly [N in ApiName]: ApiAccess<N> } = {
  ApiVersions: { kind: 'handshake', checks: none },
  SaslHandshake: { kind: 'handshake', checks: none },
  SaslAuthenticate: { kind: 'handshake', checks: none },
  Produce: { kind: 'checked', checks: (r) => unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'WRITE')) },
  Fetch: {
    kind: 'checked',
    // A fetch with a replica id is a follower's: it needs CLUSTER_ACTION, as in Kafka.
    checks: (r) => (r.replicaId >= 0 ? [cluster('CLUSTER_ACTION')] : unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'READ'))),
  },
  ListOffsets: { kind: 'checked', checks: (r) => unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'DESCRIBE')) },
  Metadata: {
    kind: 'filtered',
    checks: (r, topics) =>
      r.allTopics
        ? []
        : unique(r.topics).flatMap((t) =>
            !topics.exists(t) && r.allowAutoTopicCreation && topics.autoCreate ? [topic(t, 'CREATE', true)] : [topic(t, 'DESCRIBE')],
          ),
  },
  CreateTopics: { kind: 'checked', checks: (r) => unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'CREATE', true)) },
  DeleteTopics: { kind: 'checked', checks: (r) => unique(r.names).map((t) => topic(t, 'DELETE')) },
  DescribeTopics: {
    kind: 'filtered',
    checks: (r) => unique(r.topics).flatMap((t) => [topic(t, 'DESCRIBE'), ...(r.includeConfigs ? [topic(t, 'DESCRIBE_CONFIGS')] : [])]),
  },
  AlterTopicConfigs: { kind: 'checked', checks: (r) => unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'ALTER_CONFIGS')) },
  InitProducerId: {
    kind: 'checked',
    checks: () => [{ ...cluster('IDEMPOTENT_WRITE'), orElse: { type: 'TOPIC', name: null, operation: 'WRITE' } }],
  },
  FindCoordinator: { kind: 'checked', checks: (r) => unique(r.keys).map((k) => group(k, 'DESCRIBE')) },
  ConsumerGroupHeartbeat: {
    kind: 'checked',
    checks: (r) => [group(r.groupId, 'READ'), ...unique(r.subscribedTopicNames).map((t) => topic(t, 'DESCRIBE'))],
  },
  ConsumerGroupDescribe: { kind: 'checked', checks: (r) => unique(r.groupIds).map((g) => group(g, 'DESCRIBE')) },
  OffsetCommit: { kind: 'checked', checks: (r) => [group(r.groupId, 'READ'), ...unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'READ'))] },
  OffsetFetch: { kind: 'checked', checks: (r) => [group(r.groupId, 'DESCRIBE'), ...unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'DESCRIBE'))] },
  ListGroups: { kind: 'filtered', checks: none },
  DeleteGroups: { kind: 'checked', checks: (r) => unique(r.groupIds).map((g) => group(g, 'DELETE')) },
  DescribeAcls: { kind: 'checked', checks: () => [cluster('DESCRIBE')] },
  CreateAcls: { kind: 'checked', checks: () => [cluster('ALTER')] },
  DeleteAcls: { kind: 'checked', checks: () => [cluster('ALTER')] },
  DescribeUserScramCredentials: { kind: 'checked', checks: () => [cluster('DESCRIBE')] },
  AlterUserScramCredentials: { kind: 'checked', checks: () => [cluster('ALTER')] },
  // Replication and cluster operations, as in Kafka: broker-to-broker traffic needs CLUSTER_ACTION.
  OffsetForLeaderEpoch: { kind: 'checked', checks: (r) => (r.replicaId >= 0 ? [cluster('CLUSTER_ACTION')] : unique(r.topics.map((t) => t.name)).map((t) => topic(t, 'DESCRIBE'))) },
  ControlledShutdown: { kind: 'checked', checks: () => [cluster('CLUSTER_ACTION')] },
  ElectLeaders: { kind: 'checked', checks: () => [cluster('ALTER')] },
  DescribeCluster: { kind: 'checked', checks: () => [cluster('DESCRIBE')] },
  // Rewrites a partition's storage and drops records: as destructive as deleting them.
  SkipCorrupt: { kind: 'checked', checks: (r) => unique(r.topics.map((t) => t.name)).flatMap((t) => [topic(t, 'ALTER'), topic(t, 'DELETE')]) },
};

/** The table's entry of an API by name (indexing with a generic name gives a union TS cannot call). */
export function accessOf(name: ApiName): ApiAccess<ApiName> {
  return API_ACCESS[name] as unknown as ApiAccess<ApiName>; // each entry takes its own API's request, which is what the connection decoded
}
