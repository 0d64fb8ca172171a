/**
 * Access control entries, as Kafka defines them: a principal may (ALLOW) or may not (DENY) perform
 * an operation on a resource (a topic, a group or the cluster) named literally or by prefix, from a
 * host. `*` as a principal or host matches any; a LITERAL resource named `*` matches every resource
 * of its type. DENY wins over ALLOW. Operations imply others as in Kafka: READ, WRITE, DELETE and
 * ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL implies everything.
 *
 * The wire carries the enums as their names (strings), so docs, CLI and wire agree.
 */
import { ERRORS, StrataError } from '@strata/protocol';

export const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const PATTERN_TYPES = ['LITERAL', 'PREFIXED'] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

export const ACL_OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'] as const;
export type AclOperation = (typeof ACL_OPERATIONS)[number];

export const PERMISSIONS = ['ALLOW', 'DENY'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The name of the one CLUSTER resource. */
export const CLUSTER_RESOURCE = 'strata-cluster';

export interface AclBinding {
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  /** "User:alice", or "User:*" for every principal. */
  principal: string;
  /** Client address, or "*". */
  host: string;
  operation: AclOperation;
  permission: Permission;
}

/** A filter over bindings (DescribeAcls, DeleteAcls): an empty field matches any value. */
export type AclFilter = { [K in keyof AclBinding]?: AclBinding[K] | '' };

const IMPLIED: Partial<Record<AclOperation, readonly AclOperation[]>> = {
  DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
};

/** Operations whose ALLOW grants `operation` (itself, ALL, and those that imply it). */
export function grantingOperations(operation: AclOperation): readonly AclOperation[] {
  return [operation, 'ALL', ...(IMPLIED[operation] ?? [])];
}

export function resourceMatches(acl: AclBinding, type: ResourceType, name: string): boolean {
  if (acl.resourceType !== type) return false;
  if (acl.patternType === 'PREFIXED') return name.startsWith(acl.resourceName);
  return acl.resourceName === '*' || acl.resourceName === name;
}

export function matchesFilter(acl: AclBinding, filter: AclFilter): boolean {
  for (const key of Object.keys(filter) as Array<keyof AclBinding>) {
    const want = filter[key];
    if (want !== undefined && want !== '' && acl[key] !== want) return false;
  }
  return true;
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return matchesFilter(a, b);
}

function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  const upper = value.toUpperCase().replace(/-/g, '_');
  if ((values as readonly string[]).includes(upper)) return upper as T;
  throw new StrataError(ERRORS.INVALID_REQUEST, `unknown ${what} "${value}"; expected one of ${values.join(', ')}`);
}

export const parseResourceType = (v: string): ResourceType => oneOf(RESOURCE_TYPES, v, 'resource type');
export const parsePatternType = (v: string): PatternType => oneOf(PATTERN_TYPES, v, 'pattern type');
export const parseOperation = (v: string): AclOperation => oneOf(ACL_OPERATIONS, v, 'operation');
export const parsePermission = (v: string): Permission => oneOf(PERMISSIONS, v, 'permission');

/** Principals are "Type:name"; only the User type exists. */
export function checkPrincipal(principal: string): string {
  if (!/^User:.+$/.test(principal)) throw new StrataError(ERRORS.INVALID_REQUEST, `principal "${principal}" must look like "User:<name>" (or "User:*")`);
  return principal;
}

/** Validates a binding read from the wire or a file; throws INVALID_REQUEST naming the problem. */
export function validateBinding(raw: { [K in keyof AclBinding]: string }): AclBinding {
  const resourceType = parseResourceType(raw.resourceType);
  const resourceName = resourceType === 'CLUSTER' && raw.resourceName === '' ? CLUSTER_RESOURCE : raw.resourceName;
  if (resourceName === '') throw new StrataError(ERRORS.INVALID_REQUEST, 'an ACL needs a resource name ("*" for every resource of its type)');
  return {
    resourceType,
    resourceName,
    patternType: parsePatternType(raw.patternType || 'LITERAL'),
    principal: checkPrincipal(raw.principal),
    host: raw.host || '*',
    operation: parseOperation(raw.operation),
    permission: parsePermission(raw.permission || 'ALLOW'),
  };
}
