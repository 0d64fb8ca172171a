/**
 * Authorizer: the one place that decides whether a principal may perform an operation on a
 * resource. Kafka's rules (AclAuthorizer): super users may do everything; otherwise a matching DENY
 * wins, then a matching ALLOW (directly or through an implying operation) grants; with the
 * authorizer enabled everything else is denied. With it disabled (the default) everything is
 * allowed. Internal `__` topics are never writable by clients whatever the ACLs say, super users
 * included: the topic manager refuses it (INVALID_TOPIC_EXCEPTION) behind the authorizer.
 * ACLs are read from the AclStore on every check (in memory). Synchronous and single-threaded.
 */
import { grantingOperations, resourceMatches, type AclBinding, type AclOperation, type ResourceType } from './acl';
import type { AclStore } from './acl-store';

export interface AuthorizerOptions {
  enabled: boolean;
  superUsers: ReadonlySet<string>;
  acls: AclStore;
}

export class Authorizer {
  constructor(private readonly o: AuthorizerOptions) {}

  get enabled(): boolean {
    return this.o.enabled;
  }

  allowed(principal: string, host: string, operation: AclOperation, type: ResourceType, name: string): boolean {
    if (!this.o.enabled || this.o.superUsers.has(principal)) return true;
    const applicable = this.o.acls.all().filter((acl) => this.appliesTo(acl, principal, host) && resourceMatches(acl, type, name));
    if (applicable.some((acl) => acl.permission === 'DENY' && (acl.operation === operation || acl.operation === 'ALL'))) return false;
    const granting = grantingOperations(operation);
    return applicable.some((acl) => acl.permission === 'ALLOW' && granting.includes(acl.operation));
  }

  /** True when some ALLOW grants `operation` on at least one resource of `type` (Kafka's "WRITE on any topic"). */
  allowedOnAny(principal: string, host: string, operation: AclOperation, type: ResourceType): boolean {
    if (!this.o.enabled || this.o.superUsers.has(principal)) return true;
    const granting = grantingOperations(operation);
    return this.o.acls.all().some((acl) => acl.resourceType === type && acl.permission === 'ALLOW' && granting.includes(acl.operation) && this.appliesTo(acl, principal, host));
  }

  private appliesTo(acl: AclBinding, principal: string, host: string): boolean {
    return (acl.principal === principal || acl.principal === 'User:*') && (acl.host === '*' || acl.host === host);
  }
}
