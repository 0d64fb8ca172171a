/**
 * Output filters for handlers of 'filtered' APIs (api-resources.ts): they drop what the request's
 * principal may not describe. Handlers call them with their RequestContext.
 */
import type { ListGroupsResponseInit } from '@strata/protocol';
import type { RequestContext } from '../server/handler';

/** ListGroups: only groups the principal may DESCRIBE. */
export function onlyDescribable(ctx: RequestContext, response: ListGroupsResponseInit): ListGroupsResponseInit {
  return { ...response, groups: (response.groups ?? []).filter((g) => ctx.authorize('DESCRIBE', 'GROUP', g.groupId ?? '')) };
}
