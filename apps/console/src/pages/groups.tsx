/** Consumer groups: state, members and total lag of each. */
import { ErrorNote, TableRegion } from '../components/notes';
import { formatCount } from '../format';
import { useMonitor } from '../hooks';
import { groupLag, type Monitor } from '../monitor';
import { routeHref } from '../router';

export function GroupsPage({ monitor }: { monitor: Monitor }) {
  const { snapshot, error } = useMonitor(monitor);
  const groups = snapshot?.groups ?? [];
  return (
    <>
      <h1>Consumer groups</h1>
      <ErrorNote error={error?.message} />
      {snapshot && groups.length === 0 ? (
        <p>No consumer groups: a group appears once a consumer with a groupId joins or commits.</p>
      ) : (
        <TableRegion label="Consumer groups">
          <table>
            <caption class="visually-hidden">Consumer groups</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">State</th>
                <th scope="col" class="num">Members</th>
                <th scope="col">Topics</th>
                <th scope="col" class="num">Lag</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.groupId} data-group={g.groupId}>
                  <th scope="row">
                    <a href={routeHref({ page: 'group', group: g.groupId })}>{g.groupId}</a>
                  </th>
                  <td>
                    <span class={`state state-${g.state}`}>{g.state}</span>
                  </td>
                  <td class="num">{g.members.length}</td>
                  <td>{[...new Set(g.offsets.map((o) => o.topic))].join(', ')}</td>
                  <td class="num" data-col="lag">
                    {formatCount(groupLag(g))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}
