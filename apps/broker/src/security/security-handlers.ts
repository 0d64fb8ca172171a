/**
 * Handlers of the security administration APIs: DescribeAcls, CreateAcls, DeleteAcls,
 * DescribeUserScramCredentials and AlterUserScramCredentials. Who may call them is decided before
 * (api-resources.ts: DESCRIBE or ALTER on the cluster). Errors travel inside the responses, per
 * entry; an invalid entry fails alone.
 */
import { Apis, ERRORS, StrataError, scramMechanism, type AclEntry, type AclEntryInit } from '@strata/protocol';
import { handler, type RequestHandler } from '../server/handler';
import { matchesFilter, validateBinding, type AclBinding, type AclFilter } from './acl';
import type { AclStore } from './acl-store';
import type { CredentialStore } from './credential-store';

function errorOf(e: unknown): { errorCode: number; errorMessage: string } {
  if (e instanceof StrataError) return { errorCode: e.errorCode, errorMessage: e.message };
  return { errorCode: ERRORS.UNKNOWN_SERVER_ERROR.code, errorMessage: (e as Error).message };
}

const toEntry = (a: AclBinding): AclEntryInit => ({ ...a });

/** A filter from the wire: empty fields match anything; set fields are validated. */
function toFilter(e: AclEntry | null | undefined): AclFilter {
  if (!e) return {};
  const f: AclFilter = {};
  const probe = validateBinding({
    resourceType: e.resourceType || 'TOPIC',
    resourceName: e.resourceName || '*',
    patternType: e.patternType || 'LITERAL',
    principal: e.principal || 'User:*',
    host: e.host || '*',
    operation: e.operation || 'ALL',
    permission: e.permission || 'ALLOW',
  });
  if (e.resourceType) f.resourceType = probe.resourceType;
  if (e.resourceName) f.resourceName = probe.resourceName;
  if (e.patternType) f.patternType = probe.patternType;
  if (e.principal) f.principal = probe.principal;
  if (e.host) f.host = probe.host;
  if (e.operation) f.operation = probe.operation;
  if (e.permission) f.permission = probe.permission;
  return f;
}

export function securityHandlers(acls: AclStore, credentials: CredentialStore): RequestHandler[] {
  const describeAcls = handler<'DescribeAcls'>(Apis.DescribeAcls, (_ctx, req) => {
    try {
      const filter = toFilter(req.filter);
      return { errorCode: 0, errorMessage: '', acls: acls.all().filter((a) => matchesFilter(a, filter)).map(toEntry) };
    } catch (e) {
      return { ...errorOf(e), acls: [] };
    }
  });

  const createAcls = handler<'CreateAcls'>(Apis.CreateAcls, async (_ctx, req) => {
    const valid: AclBinding[] = [];
    const results = req.creations.map((c) => {
      try {
        valid.push(validateBinding(c));
        return { errorCode: 0, errorMessage: '' };
      } catch (e) {
        return errorOf(e);
      }
    });
    if (valid.length > 0) await acls.add(valid);
    return { results };
  });

  const deleteAcls = handler<'DeleteAcls'>(Apis.DeleteAcls, async (_ctx, req) => {
    const filters: Array<AclFilter | StrataError> = req.filters.map((f) => {
      try {
        return toFilter(f);
      } catch (e) {
        return e instanceof StrataError ? e : new StrataError(ERRORS.INVALID_REQUEST, String(e));
      }
    });
    const usable = filters.filter((f): f is AclFilter => !(f instanceof StrataError));
    const removed = await acls.remove(usable);
    let i = 0;
    return {
      filterResults: filters.map((f) =>
        f instanceof StrataError ? { ...errorOf(f), matchingAcls: [] } : { errorCode: 0, errorMessage: '', matchingAcls: removed[i++]!.map(toEntry) },
      ),
    };
  });

  const describeUsers = handler<'DescribeUserScramCredentials'>(Apis.DescribeUserScramCredentials, (_ctx, req) => {
    const all = credentials.list();
    const wanted = req.users.length > 0 ? req.users : all.map((u) => u.user);
    return {
      errorCode: 0,
      errorMessage: '',
      results: wanted.map((user) => {
        const found = all.find((u) => u.user === user);
        if (!found) return { user, errorCode: ERRORS.RESOURCE_NOT_FOUND.code, errorMessage: `user "${user}" has no SCRAM credentials`, credentials: [] };
        return { user, errorCode: 0, errorMessage: '', credentials: found.credentials };
      }),
    };
  });

  const alterUsers = handler<'AlterUserScramCredentials'>(Apis.AlterUserScramCredentials, async (_ctx, req) => {
    const outcome = new Map<string, { errorCode: number; errorMessage: string }>();
    const note = (user: string, e: unknown) => {
      if (!outcome.has(user) || outcome.get(user)!.errorCode === 0) outcome.set(user, e === null ? { errorCode: 0, errorMessage: '' } : errorOf(e));
    };
    for (const d of req.deletions) {
      try {
        const mechanism = scramMechanism(d.mechanism);
        if (!mechanism) throw new StrataError(ERRORS.UNACCEPTABLE_CREDENTIAL, `unknown mechanism "${d.mechanism}"`);
        await credentials.delete(d.name, mechanism.name);
        note(d.name, null);
      } catch (e) {
        note(d.name, e);
      }
    }
    for (const u of req.upsertions) {
      try {
        const mechanism = scramMechanism(u.mechanism);
        if (!mechanism) throw new StrataError(ERRORS.UNACCEPTABLE_CREDENTIAL, `unknown mechanism "${u.mechanism}" (SCRAM-SHA-256 or SCRAM-SHA-512)`);
        await credentials.upsert(u.name, { mechanism: mechanism.name, iterations: u.iterations, salt: u.salt, storedKey: u.storedKey, serverKey: u.serverKey });
        note(u.name, null);
      } catch (e) {
        note(u.name, e);
      }
    }
    return { results: [...outcome.entries()].map(([user, r]) => ({ user, ...r })) };
  });

  // Each handler's request type is its API's; the connection only passes an API's own body.
  return [describeAcls, createAcls, deleteAcls, describeUsers, alterUsers] as RequestHandler[];
}
