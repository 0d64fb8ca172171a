/** Topics: the list (partitions, records, size, retention and compaction), creation and deletion. */
import type { TopicDescription } from '@strata/client';
import { useCallback, useState } from 'preact/hooks';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNote, StatusNote, TableRegion, Field } from '../components/notes';
import { formatBytes, formatCount, formatMs } from '../format';
import { useAction, useMonitor } from '../hooks';
import { topicBytes, topicRecords, type Monitor } from '../monitor';
import { routeHref } from '../router';
import type { Session } from '../session';

export function configValue(topic: TopicDescription, name: string): string | undefined {
  return topic.configs.find((c) => c.name === name)?.value;
}

/** retention.ms and retention.bytes as a person reads them: "7 d", "1.0 GiB", "forever". */
export function retentionText(topic: TopicDescription): string {
  const ms = Number(configValue(topic, 'retention.ms') ?? '-1');
  const bytes = Number(configValue(topic, 'retention.bytes') ?? '-1');
  return bytes >= 0 ? `${formatMs(ms)} or ${formatBytes(bytes)}` : formatMs(ms);
}

export function TopicsPage({ session, monitor }: { session: Session; monitor: Monitor }) {
  const { snapshot, error } = useMonitor(monitor);
  const [showInternal, setShowInternal] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const remove = useAction(
    useCallback(
      async (topic: string) => {
        await session.admin.deleteTopics({ topics: [topic] });
        await monitor.refresh();
        return `Topic ${topic} deleted.`;
      },
      [session, monitor],
    ),
  );
  const topics = (snapshot?.topics ?? []).filter((t) => showInternal || !t.isInternal);
  return (
    <>
      <h1>Topics</h1>
      <ErrorNote error={error?.message} />
      <StatusNote text={remove.done} />
      <CreateTopicForm session={session} monitor={monitor} />
      <label class="inline">
        <input type="checkbox" checked={showInternal} onChange={(e) => setShowInternal(e.currentTarget.checked)} /> Show internal topics
      </label>
      <TableRegion label="Topics">
        <table>
          <caption class="visually-hidden">Topics</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="num">Partitions</th>
              <th scope="col" class="num">Records</th>
              <th scope="col" class="num">Size</th>
              <th scope="col">Retention</th>
              <th scope="col">Cleanup policy</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {topics.map((t) => (
              <tr key={t.name} data-topic={t.name}>
                <th scope="row">
                  <a href={routeHref({ page: 'topic', topic: t.name })}>{t.name}</a>
                </th>
                <td class="num">{t.partitions.length}</td>
                <td class="num" data-col="records">
                  {formatCount(topicRecords(t))}
                </td>
                <td class="num">{formatBytes(topicBytes(t))}</td>
                <td>{retentionText(t)}</td>
                <td>{configValue(t, 'cleanup.policy') ?? ''}</td>
                <td>
                  {!t.isInternal && (
                    <button type="button" class="danger small" aria-label={`Delete topic ${t.name}`} onClick={() => (remove.reset(), setDeleting(t.name))}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
      {snapshot && topics.length === 0 && <p>No topics yet: create one above.</p>}
      {deleting !== null && (
        <ConfirmDialog
          title={`Delete topic ${deleting}?`}
          typeToConfirm={deleting}
          confirmLabel="Delete topic"
          busy={remove.busy}
          error={remove.error}
          onCancel={() => setDeleting(null)}
          onConfirm={() => void remove.run(deleting).then((ok) => ok && setDeleting(null))}
        >
          <p>Every record of every partition of this topic is deleted. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function CreateTopicForm({ session, monitor }: { session: Session; monitor: Monitor }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [policy, setPolicy] = useState('delete');
  const [retentionHours, setRetentionHours] = useState('');
  const create = useAction(
    useCallback(
      async (topic: string, numPartitions: number, configs: Record<string, string>) => {
        await session.admin.createTopics({ topics: [{ topic, numPartitions, configs }] });
        await monitor.refresh();
        return `Topic ${topic} created.`;
      },
      [session, monitor],
    ),
  );
  return (
    <details class="panel">
      <summary>Create a topic</summary>
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          const configs: Record<string, string> = { 'cleanup.policy': policy };
          if (retentionHours.trim() !== '') configs['retention.ms'] = String(Math.round(Number(retentionHours) * 3_600_000));
          void create.run(name.trim(), Number(partitions), configs).then((ok) => ok && setName(''));
        }}
      >
        <Field label="Name">
          {(id) => (
            <input id={id} name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} pattern="[a-zA-Z0-9._\-]+" maxLength={249} />
          )}
        </Field>
        <Field label="Partitions">
          {(id) => (
            <input id={id} name="partitions" type="number" min={1} max={10000} required value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Cleanup policy">
          {(id) => (
            <select id={id} name="cleanup" value={policy} onChange={(e) => setPolicy(e.currentTarget.value)}>
              <option value="delete">delete (by retention)</option>
              <option value="compact">compact (latest per key)</option>
              <option value="compact,delete">compact,delete</option>
            </select>
          )}
        </Field>
        <Field label="Retention (hours, empty: broker default)">
          {(id) => (
            <input id={id} name="retention" type="number" min={0} step="any" value={retentionHours} onInput={(e) => setRetentionHours(e.currentTarget.value)} />
          )}
        </Field>
        <div class="actions">
          <button type="submit" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create topic'}
          </button>
        </div>
        <ErrorNote error={create.error} />
        <StatusNote text={create.done} />
      </form>
    </details>
  );
}
