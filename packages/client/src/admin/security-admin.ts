/**
 * Users and ACLs through the admin API: SCRAM credentials (derived here from the password with a
 * random salt; only the stored key and server key travel, never the password) and access control
 * entries. Requests go to the controller; errors come back per user or per entry and are thrown as
 * StrataErrors (a StrataAggregateError when several fail).
 */
import { DEFAULT_SCRAM_ITERATIONS, StrataError, deriveScramCredential, errorFromCode, scramMechanism, type AclEntry, type ScramCredentialUpsertionInit } from '@strata/protocol';
import type { Cluster } from '../cluster/cluster';
import { StrataAggregateError, StrataArgumentError } from '../errors';
import type { Retrier } from '../retry';

export type ScramMechanismOption = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** An access control entry (as Kafka's): names are upper case on the wire. */
export interface Acl {
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER';
  resourceName: string;
  /** @default 'LITERAL' */
  patternType?: 'LITERAL' | 'PREFIXED';
  /** "User:alice", or "User:*" for everyone. */
  principal: string;
  /** @default '*' */
  host?: string;
  operation: 'ALL' | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE';
  /** @default 'ALLOW' */
  permission?: 'ALLOW' | 'DENY';
}

/** A filter over ACLs: omitted fields match anything. */
export type AclFilter = Partial<Acl>;

export interface UserDescription {
  user: string;
  credentials: Array<{ mechanism: string; iterations: number }>;
}

const fromWire = (a: AclEntry): Acl => ({ ...a }) as Acl; // the broker validated these names

function raise(errors: StrataError[], what: string): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new StrataAggregateError(errors, `${what}: ${errors.length} failed`);
}

export class SecurityAdmin {
  constructor(
    private readonly cluster: Cluster,
    private readonly retrier: Retrier,
  ) {}

  /** Creates a user or sets its password, for each mechanism given (default: both SCRAM mechanisms). */
  async upsertUser(args: { user: string; password: string; mechanisms?: ScramMechanismOption[]; iterations?: number }): Promise<void> {
    if (!args || typeof args.user !== 'string' || args.user === '') throw new StrataArgumentError('upsertUser: user must be a non-empty string');
    if (typeof args.password !== 'string' || args.password === '') throw new StrataArgumentError('upsertUser: password must be a non-empty string');
    const mechanisms = args.mechanisms ?? ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
    const upsertions: ScramCredentialUpsertionInit[] = [];
    for (const m of mechanisms) {
      const mechanism = scramMechanism(m);
      if (!mechanism) throw new StrataArgumentError(`upsertUser: unknown mechanism "${m}" (SCRAM-SHA-256 or SCRAM-SHA-512)`);
      const c = await deriveScramCredential(mechanism, args.password, args.iterations ?? DEFAULT_SCRAM_ITERATIONS);
      upsertions.push({ name: args.user, mechanism: c.mechanism, iterations: c.iterations, salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey });
    }
    const r = await this.retrier.run(async () => this.cluster.requestController('AlterUserScramCredentials', { upsertions }));
    raise(r.results.filter((x) => x.errorCode !== 0).map((x) => errorFromCode(x.errorCode, x.errorMessage)), 'upsertUser');
  }

  /** Deletes a user's credentials (every mechanism it has, unless one is named). */
  async deleteUser(args: { user: string; mechanism?: ScramMechanismOption }): Promise<void> {
    const mechanisms = args.mechanism ? [args.mechanism] : (await this.describeUsers({ users: [args.user] }))[0]!.credentials.map((c) => c.mechanism);
    const deletions = mechanisms.map((mechanism) => ({ name: args.user, mechanism }));
    const r = await this.retrier.run(async () => this.cluster.requestController('AlterUserScramCredentials', { deletions }));
    raise(r.results.filter((x) => x.errorCode !== 0).map((x) => errorFromCode(x.errorCode, x.errorMessage)), 'deleteUser');
  }

  /** Users and the mechanisms of their credentials (every user when none is named). */
  async describeUsers(args: { users?: string[] } = {}): Promise<UserDescription[]> {
    const r = await this.retrier.run(async () => this.cluster.requestController('DescribeUserScramCredentials', { users: args.users ?? [] }));
    if (r.errorCode !== 0) throw errorFromCode(r.errorCode, r.errorMessage);
    raise(r.results.filter((x) => x.errorCode !== 0).map((x) => errorFromCode(x.errorCode, x.errorMessage)), 'describeUsers');
    return r.results.map((x) => ({ user: x.user, credentials: x.credentials.map((c) => ({ mechanism: c.mechanism, iterations: c.iterations })) }));
  }

  async createAcls(args: { acls: Acl[] }): Promise<void> {
    if (!args || !Array.isArray(args.acls) || args.acls.length === 0) throw new StrataArgumentError('createAcls: acls must be a non-empty array');
    const r = await this.retrier.run(async () => this.cluster.requestController('CreateAcls', { creations: args.acls }));
    raise(r.results.filter((x) => x.errorCode !== 0).map((x) => errorFromCode(x.errorCode, x.errorMessage)), 'createAcls');
  }

  async describeAcls(args: { filter?: AclFilter } = {}): Promise<Acl[]> {
    const r = await this.retrier.run(async () => this.cluster.requestController('DescribeAcls', { filter: args.filter ?? {} }));
    if (r.errorCode !== 0) throw errorFromCode(r.errorCode, r.errorMessage);
    return r.acls.map(fromWire);
  }

  /** Deletes every ACL matching one of the filters; resolves with those deleted. */
  async deleteAcls(args: { filters: AclFilter[] }): Promise<Acl[]> {
    if (!args || !Array.isArray(args.filters) || args.filters.length === 0) throw new StrataArgumentError('deleteAcls: filters must be a non-empty array');
    const r = await this.retrier.run(async () => this.cluster.requestController('DeleteAcls', { filters: args.filters }));
    const errors = r.filterResults.filter((x) => x.errorCode !== 0).map((x) => errorFromCode(x.errorCode, x.errorMessage));
    raise(errors, 'deleteAcls');
    return r.filterResults.flatMap((x) => x.matchingAcls.map(fromWire));
  }
}

