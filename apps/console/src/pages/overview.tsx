/** Overview: brokers (controller, leaders, under-replicated partitions), counts, live records in/out, disk per topic. */
import { LineChart } from '../components/line-chart';
import { ErrorNote, Facts, TableRegion } from '../components/notes';
import { formatBytes, formatCount, formatRate } from '../format';
import { useMonitor } from '../hooks';
import { topicBytes, topicRecords, type Monitor } from '../monitor';
import { routeHref } from '../router';

export function OverviewPage({ monitor }: { monitor: Monitor }) {
  const { snapshot, error } = useMonitor(monitor);
  if (!snapshot) return <ErrorNote error={error?.message} />;
  const { cluster, topics, groups } = snapshot;
  const partitions = cluster.topics.flatMap((t) => t.partitions);
  const underReplicated = partitions.filter((p) => p.isr.length < p.replicas.length).length;
  const leaders = (nodeId: number) => partitions.filter((p) => p.leader === nodeId).length;
  const user = topics.filter((t) => !t.isInternal);
  const disk = [...user].sort((a, b) => topicBytes(b) - topicBytes(a));
  const maxBytes = Math.max(1, ...disk.map(topicBytes));
  return (
    <>
      <h1>Overview</h1>
      <ErrorNote error={error?.message} />
      <Facts
        items={[
          ['Brokers', formatCount(cluster.brokers.length)],
          ['Topics', formatCount(user.length)],
          ['Partitions', formatCount(partitions.length)],
          ['Under-replicated partitions', formatCount(underReplicated)],
          ['Consumer groups', formatCount(groups.length)],
          ['Cluster id', <code>{cluster.clusterId}</code>],
        ]}
      />
      <LineChart
        title="Records per second"
        format={(v) => `${formatRate(v)} records/s`}
        series={[
          { name: 'in (produced)', points: monitor.recordsIn.history.values(), className: 'series-in' },
          { name: 'out (committed by groups)', points: monitor.recordsOut.history.values(), className: 'series-out' },
        ]}
      />
      <h2 id="brokers-heading">Brokers</h2>
      <TableRegion label="Brokers">
        <table aria-labelledby="brokers-heading">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">URL</th>
              <th scope="col">Rack</th>
              <th scope="col">Role</th>
              <th scope="col" class="num">Leader of</th>
            </tr>
          </thead>
          <tbody>
            {cluster.brokers.map((b) => (
              <tr key={b.nodeId}>
                <td>{b.nodeId}</td>
                <td>
                  <code>{b.url}</code>
                </td>
                <td>{b.rack ?? '—'}</td>
                <td>{b.nodeId === cluster.controller ? 'controller' : ''}</td>
                <td class="num">{formatCount(leaders(b.nodeId))} partitions</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <h2 id="disk-heading">Disk used per topic</h2>
      {disk.length === 0 ? (
        <p>No topics yet.</p>
      ) : (
        <TableRegion label="Disk used per topic">
          <table aria-labelledby="disk-heading">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col" class="num">Records</th>
                <th scope="col" class="num">Size</th>
                <th scope="col" class="bar-col">
                  <span class="visually-hidden">Share</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {disk.map((t) => (
                <tr key={t.name}>
                  <td>
                    <a href={routeHref({ page: 'topic', topic: t.name })}>{t.name}</a>
                  </td>
                  <td class="num">{formatCount(topicRecords(t))}</td>
                  <td class="num">{formatBytes(topicBytes(t))}</td>
                  <td class="bar-col" aria-hidden="true">
                    <span class="bar" style={{ width: `${(topicBytes(t) / maxBytes) * 100}%` }} />
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
