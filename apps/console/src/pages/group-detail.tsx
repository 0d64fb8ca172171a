/**
 * One consumer group: state, members with their partitions, committed offsets and lag per
 * partition, lag over time, and resetting the offsets of an empty group.
 */
import type { GroupDescriptionInfo, ResetOffsetsTarget } from '@strata/client';
import { useCallback, useState } from 'preact/hooks';
import { ConfirmDialog } from '../components/confirm-dialog';
import { LineChart } from '../components/line-chart';
import { ErrorNote, Facts, StatusNote, TableRegion, Field } from '../components/notes';
import { formatCount } from '../format';
import { useAction, useMonitor } from '../hooks';
import { groupLag, type Monitor } from '../monitor';
import { routeHref } from '../router';
import type { Session } from '../session';

export function GroupDetailPage({ session, monitor, group }: { session: Session; monitor: Monitor; group: string }) {
  const { snapshot, error } = useMonitor(monitor);
  if (!snapshot) return <ErrorNote error={error?.message} />;
  const g = snapshot.groups.find((x) => x.groupId === group);
  if (!g) {
    return (
      <>
        <h1>Group {group}</h1>
        <p role="alert">
          There is no group named <code>{group}</code> (it has no members and no committed offsets). <a href={routeHref({ page: 'groups' })}>Back to the groups</a>
        </p>
      </>
    );
  }
  const offsets = [...g.offsets].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return (
    <>
      <p class="crumbs">
        <a href={routeHref({ page: 'groups' })}>Consumer groups</a> /
      </p>
      <h1>Group {group}</h1>
      <ErrorNote error={error?.message} />
      <Facts
        items={[
          ['State', <span class={`state state-${g.state}`}>{g.state}</span>],
          ['Members', formatCount(g.members.length)],
          ['Total lag', <span data-testid="total-lag">{formatCount(groupLag(g))}</span>],
          ['Assignor', g.assignor || '—'],
          ['Group epoch', String(g.groupEpoch)],
        ]}
      />
      <LineChart title={`Lag of ${group} (records)`} format={(v) => `${formatCount(v)} records`} series={[{ name: 'total lag', points: monitor.lagHistory(group)?.values() ?? [], className: 'series-lag' }]} />
      <h2 id="members-heading">Members</h2>
      {g.members.length === 0 ? (
        <p>No members: the group is empty{g.state === 'empty' ? ', so its offsets can be reset below' : ''}.</p>
      ) : (
        <TableRegion label="Members">
          <table aria-labelledby="members-heading">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Client</th>
                <th scope="col">Host</th>
                <th scope="col">Partitions</th>
              </tr>
            </thead>
            <tbody>
              {g.members.map((m) => (
                <tr key={m.memberId}>
                  <th scope="row">
                    <code>{m.instanceId ?? m.memberId}</code>
                  </th>
                  <td>{m.clientId}</td>
                  <td>{m.clientHost || '—'}</td>
                  <td>{byTopic(m.assignment) || 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <h2 id="offsets-heading">Offsets and lag</h2>
      <TableRegion label="Offsets and lag">
        <table aria-labelledby="offsets-heading" class="offsets">
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col" class="num">Partition</th>
              <th scope="col" class="num">Committed</th>
              <th scope="col" class="num">End</th>
              <th scope="col" class="num">Lag</th>
            </tr>
          </thead>
          <tbody>
            {offsets.map((o) => (
              <tr key={`${o.topic}-${o.partition}`} data-partition={`${o.topic}-${o.partition}`}>
                <td>
                  <a href={routeHref({ page: 'topic', topic: o.topic })}>{o.topic}</a>
                </td>
                <td class="num">{o.partition}</td>
                <td class="num">{o.committedOffset < 0 ? 'none' : formatCount(o.committedOffset)}</td>
                <td class="num">{formatCount(o.logEndOffset)}</td>
                <td class="num" data-col="lag">
                  {o.lag < 0 ? '—' : formatCount(o.lag)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <ResetOffsets session={session} monitor={monitor} group={g} />
    </>
  );
}

function byTopic(partitions: ReadonlyArray<{ topic: string; partition: number }>): string {
  const topics = new Map<string, number[]>();
  for (const p of partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  return [...topics].map(([t, ps]) => `${t} [${ps.sort((a, b) => a - b).join(', ')}]`).join('; ');
}

function ResetOffsets({ session, monitor, group }: { session: Session; monitor: Monitor; group: GroupDescriptionInfo }) {
  const topics = [...new Set(group.offsets.map((o) => o.topic))].sort();
  const [topic, setTopic] = useState(topics[0] ?? '');
  const [to, setTo] = useState<'earliest' | 'latest' | 'timestamp'>('earliest');
  const [time, setTime] = useState('');
  const [confirming, setConfirming] = useState(false);
  const reset = useAction(
    useCallback(
      async (target: ResetOffsetsTarget) => {
        const committed = await session.admin.resetOffsets({ groupId: group.groupId, topic, to: target });
        await monitor.refresh();
        return `Offsets of ${group.groupId} on ${topic} reset: ${committed.map((c) => `partition ${c.partition} → ${c.offset}`).join(', ')}.`;
      },
      [session, monitor, group.groupId, topic],
    ),
  );
  const target = (): ResetOffsetsTarget | null => {
    if (to !== 'timestamp') return to;
    const ms = Date.parse(time.endsWith('Z') ? time : `${time}Z`);
    return Number.isFinite(ms) ? { timestamp: ms } : null;
  };
  const empty = group.state === 'empty';
  return (
    <section aria-labelledby="reset-heading">
      <h2 id="reset-heading">Reset offsets</h2>
      {!empty && <p>Offsets can be reset only while the group has no members (stop its consumers first); it is {group.state} now.</p>}
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          reset.reset();
          if (target() !== null) setConfirming(true);
        }}
      >
        <Field label="Topic">
          {(id) => (
            <select id={id} value={topic} onChange={(e) => setTopic(e.currentTarget.value)} disabled={!empty}>
              {topics.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="To">
          {(id) => (
            <select id={id} value={to} onChange={(e) => setTo(e.currentTarget.value as typeof to)} disabled={!empty}>
              <option value="earliest">earliest (log start)</option>
              <option value="latest">latest (log end: skip everything)</option>
              <option value="timestamp">time (UTC)</option>
            </select>
          )}
        </Field>
        {to === 'timestamp' && (
          <Field label="Time (UTC)">
            {(id) => (
              <input id={id} type="datetime-local" step="1" required value={time} onInput={(e) => setTime(e.currentTarget.value)} disabled={!empty} />
            )}
          </Field>
        )}
        <div class="actions">
          <button type="submit" disabled={!empty || topic === ''}>
            Reset offsets…
          </button>
        </div>
      </form>
      <StatusNote text={reset.done} />
      {confirming && (
        <ConfirmDialog
          title={`Reset ${group.groupId} on ${topic}?`}
          confirmLabel="Reset offsets"
          busy={reset.busy}
          error={reset.error}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void reset.run(target()!).then((ok) => ok && setConfirming(false))}
        >
          <p>
            The group's committed offsets of every partition of <code>{topic}</code> move to {to === 'timestamp' ? `the first record at or after ${time} UTC` : `the ${to} offset`}. Its
            consumers start there when they join again.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
