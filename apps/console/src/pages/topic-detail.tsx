/** Topic detail: partitions (offsets, leader, replicas, ISR), live throughput, settings, message browser, test messages. */
import { LineChart } from '../components/line-chart';
import { ErrorNote, Facts, TableRegion } from '../components/notes';
import { formatBytes, formatCount, formatRate } from '../format';
import { useMonitor } from '../hooks';
import { topicBytes, topicRecords, type Monitor } from '../monitor';
import { routeHref } from '../router';
import type { Session } from '../session';
import { MessageBrowser } from './message-browser';
import { ProduceForm } from './produce-form';
import { TopicSettings } from './topic-settings';

export function TopicDetailPage({ session, monitor, topic }: { session: Session; monitor: Monitor; topic: string }) {
  const { snapshot, error } = useMonitor(monitor);
  if (!snapshot) return <ErrorNote error={error?.message} />;
  const described = snapshot.topics.find((t) => t.name === topic);
  if (!described) {
    return (
      <>
        <h1>Topic {topic}</h1>
        <p role="alert">
          There is no topic named <code>{topic}</code>. <a href={routeHref({ page: 'topics' })}>Back to the topics</a>
        </p>
      </>
    );
  }
  const placement = snapshot.cluster.topics.find((t) => t.name === topic);
  const placed = (partition: number) => placement?.partitions.find((p) => p.partition === partition);
  const list = (ids: readonly number[] | undefined) => (ids === undefined ? '—' : ids.join(', '));
  return (
    <>
      <p class="crumbs">
        <a href={routeHref({ page: 'topics' })}>Topics</a> /
      </p>
      <h1>Topic {topic}</h1>
      <ErrorNote error={error?.message} />
      <Facts
        items={[
          ['Partitions', formatCount(described.partitions.length)],
          ['Records', formatCount(topicRecords(described))],
          ['Size', formatBytes(topicBytes(described))],
          ['Internal', described.isInternal ? 'yes' : 'no'],
        ]}
      />
      <LineChart
        title={`Records produced to ${topic} per second`}
        format={(v) => `${formatRate(v)} records/s`}
        series={[{ name: 'in', points: monitor.topicRate(topic)?.values() ?? [], className: 'series-in' }]}
      />
      <h2 id="partitions-heading">Partitions</h2>
      <TableRegion label="Partitions">
        <table aria-labelledby="partitions-heading">
          <thead>
            <tr>
              <th scope="col" class="num">Partition</th>
              <th scope="col" class="num">Low offset</th>
              <th scope="col" class="num">High offset</th>
              <th scope="col" class="num">Records</th>
              <th scope="col" class="num">Size</th>
              <th scope="col" class="num">Leader</th>
              <th scope="col">Replicas</th>
              <th scope="col">In sync</th>
            </tr>
          </thead>
          <tbody>
            {described.partitions.map((p) => (
              <tr key={p.partition}>
                <th scope="row" class="num">
                  {p.partition}
                </th>
                <td class="num">{formatCount(p.logStartOffset)}</td>
                <td class="num">{formatCount(p.highWatermark)}</td>
                <td class="num">{formatCount(p.highWatermark - p.logStartOffset)}</td>
                <td class="num">{formatBytes(p.size)}</td>
                <td class="num">{p.leader}</td>
                <td>{list(placed(p.partition)?.replicas)}</td>
                <td>{list(placed(p.partition)?.isr)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      <TopicSettings session={session} monitor={monitor} topic={described} />
      <MessageBrowser session={session} topic={topic} partitions={described.partitions.map((p) => p.partition)} />
      <ProduceForm session={session} monitor={monitor} topic={topic} partitions={described.partitions.length} />
    </>
  );
}
