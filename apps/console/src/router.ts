/**
 * The console's routes live in the URL fragment (#/topics/orders), so the server serves one
 * index.html and a reload or a shared link opens the same page. Names are URI-encoded in the
 * fragment. Pure functions.
 */

export type Route =
  | { page: 'overview' }
  | { page: 'topics' }
  | { page: 'topic'; topic: string }
  | { page: 'groups' }
  | { page: 'group'; group: string }
  | { page: 'not-found'; hash: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '' || path === '/') return { page: 'overview' };
  const parts = path.replace(/^\//, '').split('/');
  try {
    if (parts[0] === 'topics' && parts.length === 1) return { page: 'topics' };
    if (parts[0] === 'topics' && parts.length === 2 && parts[1] !== '') return { page: 'topic', topic: decodeURIComponent(parts[1]!) };
    if (parts[0] === 'groups' && parts.length === 1) return { page: 'groups' };
    if (parts[0] === 'groups' && parts.length === 2 && parts[1] !== '') return { page: 'group', group: decodeURIComponent(parts[1]!) };
  } catch {
    // a malformed escape: not a page
  }
  return { page: 'not-found', hash };
}

export function routeHref(route: Exclude<Route, { page: 'not-found' }>): string {
  switch (route.page) {
    case 'overview':
      return '#/';
    case 'topics':
      return '#/topics';
    case 'topic':
      return `#/topics/${encodeURIComponent(route.topic)}`;
    case 'groups':
      return '#/groups';
    case 'group':
      return `#/groups/${encodeURIComponent(route.group)}`;
  }
}
