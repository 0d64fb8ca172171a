/**
 * The API table: each API's key, the versions this build speaks, and the protobuf messages of its
 * request and response bodies. Keys reuse Apache Kafka's numbers where Kafka has the same API.
 *
 * Adding an API: add its messages to proto/*.proto, run `npm run generate -w @strata/protocol`,
 * add an entry here, and document it in docs/protocol.md.
 */
import { strata, type MessageCodec } from './generated/messages';
import type * as M from './generated/messages';

export interface ApiDefinition<Req = unknown, ReqInit = unknown, Res = unknown, ResInit = unknown> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageCodec<Req, ReqInit>;
  readonly response: MessageCodec<Res, ResInit>;
}

function api<Req, ReqInit, Res, ResInit>(
  key: number,
  name: string,
  request: MessageCodec<Req, ReqInit>,
  response: MessageCodec<Res, ResInit>,
  minVersion = 0,
  maxVersion = 0,
): ApiDefinition<Req, ReqInit, Res, ResInit> {
  return Object.freeze({ key, name, minVersion, maxVersion, request, response });
}

const v1 = strata.v1;

export const Apis = {
  Produce: api<M.ProduceRequest, M.ProduceRequestInit, M.ProduceResponse, M.ProduceResponseInit>(0, 'Produce', v1.ProduceRequest, v1.ProduceResponse),
  Fetch: api<M.FetchRequest, M.FetchRequestInit, M.FetchResponse, M.FetchResponseInit>(1, 'Fetch', v1.FetchRequest, v1.FetchResponse),
  ListOffsets: api<M.ListOffsetsRequest, M.ListOffsetsRequestInit, M.ListOffsetsResponse, M.ListOffsetsResponseInit>(
    2,
    'ListOffsets',
    v1.ListOffsetsRequest,
    v1.ListOffsetsResponse,
  ),
  Metadata: api<M.MetadataRequest, M.MetadataRequestInit, M.MetadataResponse, M.MetadataResponseInit>(3, 'Metadata', v1.MetadataRequest, v1.MetadataResponse),
  ApiVersions: api<M.ApiVersionsRequest, M.ApiVersionsRequestInit, M.ApiVersionsResponse, M.ApiVersionsResponseInit>(
    18,
    'ApiVersions',
    v1.ApiVersionsRequest,
    v1.ApiVersionsResponse,
  ),
  CreateTopics: api<M.CreateTopicsRequest, M.CreateTopicsRequestInit, M.CreateTopicsResponse, M.CreateTopicsResponseInit>(
    19,
    'CreateTopics',
    v1.CreateTopicsRequest,
    v1.CreateTopicsResponse,
  ),
  DeleteTopics: api<M.DeleteTopicsRequest, M.DeleteTopicsRequestInit, M.DeleteTopicsResponse, M.DeleteTopicsResponseInit>(
    20,
    'DeleteTopics',
    v1.DeleteTopicsRequest,
    v1.DeleteTopicsResponse,
  ),
  DescribeTopics: api<M.DescribeTopicsRequest, M.DescribeTopicsRequestInit, M.DescribeTopicsResponse, M.DescribeTopicsResponseInit>(
    75,
    'DescribeTopics',
    v1.DescribeTopicsRequest,
    v1.DescribeTopicsResponse,
  ),
  AlterTopicConfigs: api<M.AlterTopicConfigsRequest, M.AlterTopicConfigsRequestInit, M.AlterTopicConfigsResponse, M.AlterTopicConfigsResponseInit>(
    44,
    'AlterTopicConfigs',
    v1.AlterTopicConfigsRequest,
    v1.AlterTopicConfigsResponse,
  ),
  InitProducerId: api<M.InitProducerIdRequest, M.InitProducerIdRequestInit, M.InitProducerIdResponse, M.InitProducerIdResponseInit>(
    22,
    'InitProducerId',
    v1.InitProducerIdRequest,
    v1.InitProducerIdResponse,
  ),
  FindCoordinator: api<M.FindCoordinatorRequest, M.FindCoordinatorRequestInit, M.FindCoordinatorResponse, M.FindCoordinatorResponseInit>(
    10,
    'FindCoordinator',
    v1.FindCoordinatorRequest,
    v1.FindCoordinatorResponse,
  ),
  ConsumerGroupHeartbeat: api<
    M.ConsumerGroupHeartbeatRequest,
    M.ConsumerGroupHeartbeatRequestInit,
    M.ConsumerGroupHeartbeatResponse,
    M.ConsumerGroupHeartbeatResponseInit
  >(68, 'ConsumerGroupHeartbeat', v1.ConsumerGroupHeartbeatRequest, v1.ConsumerGroupHeartbeatResponse),
  ConsumerGroupDescribe: api<
    M.ConsumerGroupDescribeRequest,
    M.ConsumerGroupDescribeRequestInit,
    M.ConsumerGroupDescribeResponse,
    M.ConsumerGroupDescribeResponseInit
  >(69, 'ConsumerGroupDescribe', v1.ConsumerGroupDescribeRequest, v1.ConsumerGroupDescribeResponse),
  OffsetCommit: api<M.OffsetCommitRequest, M.OffsetCommitRequestInit, M.OffsetCommitResponse, M.OffsetCommitResponseInit>(
    8,
    'OffsetCommit',
    v1.OffsetCommitRequest,
    v1.OffsetCommitResponse,
  ),
  OffsetFetch: api<M.OffsetFetchRequest, M.OffsetFetchRequestInit, M.OffsetFetchResponse, M.OffsetFetchResponseInit>(
    9,
    'OffsetFetch',
    v1.OffsetFetchRequest,
    v1.OffsetFetchResponse,
  ),
  ListGroups: api<M.ListGroupsRequest, M.ListGroupsRequestInit, M.ListGroupsResponse, M.ListGroupsResponseInit>(16, 'ListGroups', v1.ListGroupsRequest, v1.ListGroupsResponse),
  DeleteGroups: api<M.DeleteGroupsRequest, M.DeleteGroupsRequestInit, M.DeleteGroupsResponse, M.DeleteGroupsResponseInit>(
    42,
    'DeleteGroups',
    v1.DeleteGroupsRequest,
    v1.DeleteGroupsResponse,
  ),
  OffsetForLeaderEpoch: api<M.OffsetForLeaderEpochRequest, M.OffsetForLeaderEpochRequestInit, M.OffsetForLeaderEpochResponse, M.OffsetForLeaderEpochResponseInit>(
    23,
    'OffsetForLeaderEpoch',
    v1.OffsetForLeaderEpochRequest,
    v1.OffsetForLeaderEpochResponse,
  ),
  ControlledShutdown: api<M.ControlledShutdownRequest, M.ControlledShutdownRequestInit, M.ControlledShutdownResponse, M.ControlledShutdownResponseInit>(
    7,
    'ControlledShutdown',
    v1.ControlledShutdownRequest,
    v1.ControlledShutdownResponse,
  ),
  ElectLeaders: api<M.ElectLeadersRequest, M.ElectLeadersRequestInit, M.ElectLeadersResponse, M.ElectLeadersResponseInit>(43, 'ElectLeaders', v1.ElectLeadersRequest, v1.ElectLeadersResponse),
  DescribeCluster: api<M.DescribeClusterRequest, M.DescribeClusterRequestInit, M.DescribeClusterResponse, M.DescribeClusterResponseInit>(
    60,
    'DescribeCluster',
    v1.DescribeClusterRequest,
    v1.DescribeClusterResponse,
  ),
  SkipCorrupt: api<M.SkipCorruptRequest, M.SkipCorruptRequestInit, M.SkipCorruptResponse, M.SkipCorruptResponseInit>(1100, 'SkipCorrupt', v1.SkipCorruptRequest, v1.SkipCorruptResponse),
  SaslHandshake: api<M.SaslHandshakeRequest, M.SaslHandshakeRequestInit, M.SaslHandshakeResponse, M.SaslHandshakeResponseInit>(
    17,
    'SaslHandshake',
    v1.SaslHandshakeRequest,
    v1.SaslHandshakeResponse,
  ),
  SaslAuthenticate: api<M.SaslAuthenticateRequest, M.SaslAuthenticateRequestInit, M.SaslAuthenticateResponse, M.SaslAuthenticateResponseInit>(
    36,
    'SaslAuthenticate',
    v1.SaslAuthenticateRequest,
    v1.SaslAuthenticateResponse,
  ),
  DescribeAcls: api<M.DescribeAclsRequest, M.DescribeAclsRequestInit, M.DescribeAclsResponse, M.DescribeAclsResponseInit>(29, 'DescribeAcls', v1.DescribeAclsRequest, v1.DescribeAclsResponse),
  CreateAcls: api<M.CreateAclsRequest, M.CreateAclsRequestInit, M.CreateAclsResponse, M.CreateAclsResponseInit>(30, 'CreateAcls', v1.CreateAclsRequest, v1.CreateAclsResponse),
  DeleteAcls: api<M.DeleteAclsRequest, M.DeleteAclsRequestInit, M.DeleteAclsResponse, M.DeleteAclsResponseInit>(31, 'DeleteAcls', v1.DeleteAclsRequest, v1.DeleteAclsResponse),
  DescribeUserScramCredentials: api<
    M.DescribeUserScramCredentialsRequest,
    M.DescribeUserScramCredentialsRequestInit,
    M.DescribeUserScramCredentialsResponse,
    M.DescribeUserScramCredentialsResponseInit
  >(50, 'DescribeUserScramCredentials', v1.DescribeUserScramCredentialsRequest, v1.DescribeUserScramCredentialsResponse),
  AlterUserScramCredentials: api<
    M.AlterUserScramCredentialsRequest,
    M.AlterUserScramCredentialsRequestInit,
    M.AlterUserScramCredentialsResponse,
    M.AlterUserScramCredentialsResponseInit
  >(51, 'AlterUserScramCredentials', v1.AlterUserScramCredentialsRequest, v1.AlterUserScramCredentialsResponse),
} as const;

export type ApiName = keyof typeof Apis;
type Def<N extends ApiName> = (typeof Apis)[N];
export type RequestOf<N extends ApiName> = Def<N> extends ApiDefinition<infer R, unknown, unknown, unknown> ? R : never;
export type RequestInitOf<N extends ApiName> = Def<N> extends ApiDefinition<unknown, infer R, unknown, unknown> ? R : never;
export type ResponseOf<N extends ApiName> = Def<N> extends ApiDefinition<unknown, unknown, infer R, unknown> ? R : never;
export type ResponseInitOf<N extends ApiName> = Def<N> extends ApiDefinition<unknown, unknown, unknown, infer R> ? R : never;

/** API key numbers: `ApiKey.Fetch === 1`. */
export const ApiKey: { readonly [N in ApiName]: number } = Object.freeze(
  Object.fromEntries(Object.entries(Apis).map(([name, def]) => [name, def.key])) as { [N in ApiName]: number },
);

const BY_KEY = new Map<number, ApiDefinition>(Object.values(Apis).map((d) => [d.key, d as ApiDefinition]));

/** The definition of an API key, or undefined when this build does not know it. */
export function apiByKey(key: number): ApiDefinition | undefined {
  return BY_KEY.get(key);
}

export function allApis(): readonly ApiDefinition[] {
  return [...BY_KEY.values()];
}

/** The definition of API `name`, typed by its name (indexing `Apis` with a generic name gives a union). */
export function apiOf<N extends ApiName>(name: N): ApiDefinition<RequestOf<N>, RequestInitOf<N>, ResponseOf<N>, ResponseInitOf<N>> {
  return Apis[name] as unknown as ApiDefinition<RequestOf<N>, RequestInitOf<N>, ResponseOf<N>, ResponseInitOf<N>>; // Apis[N] is exactly this type, TS just cannot see it through the union
}
