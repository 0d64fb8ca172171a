import { parseRoute, routeHref } from './router';

describe('routes', () => {
  it('round-trips every page, names with any characters included', () => {
    for (const route of [
      { page: 'overview' },
      { page: 'topics' },
      { page: 'topic', topic: 'orders.eu-1' },
      { page: 'topic', topic: 'a/b?c#d %' },
      { page: 'groups' },
      { page: 'group', group: 'billing service' },
    ] as const) {
      expect(parseRoute(routeHref(route))).toEqual(route);
    }
  });

  it('takes an empty fragment as the overview and anything else as not found', () => {
    expect(parseRoute('')).toEqual({ page: 'overview' });
    expect(parseRoute('#')).toEqual({ page: 'overview' });
    for (const hash of ['#/nope', '#/topics/', '#/topics/a/b', '#/groups/%E0%A4%A']) expect(parseRoute(hash)).toEqual({ page: 'not-found', hash });
  });
});
