/** A topic's settings: every effective value (own or broker default), changing one, and removing an override. */
import type { TopicDescription } from '@strata/client';
import { useCallback, useState } from 'preact/hooks';
import { ErrorNote, StatusNote, TableRegion, Field } from '../components/notes';
import { useAction } from '../hooks';
import type { Monitor } from '../monitor';
import type { Session } from '../session';

export function TopicSettings({ session, monitor, topic }: { session: Session; monitor: Monitor; topic: TopicDescription }) {
  const [name, setName] = useState('retention.ms');
  const [value, setValue] = useState('');
  const alter = useAction(
    useCallback(
      async (change: { set?: Record<string, string>; remove?: string[] }) => {
        await session.admin.alterTopicConfigs({ topics: [{ topic: topic.name, ...change }] });
        await monitor.refresh();
        return change.set ? `Set ${Object.keys(change.set).join(', ')} on ${topic.name}.` : `${change.remove!.join(', ')} of ${topic.name} is the broker default again.`;
      },
      [session, monitor, topic.name],
    ),
  );
  const configs = [...topic.configs].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <details class="panel">
        <summary>Change a setting</summary>
        <form
          class="form-grid"
          onSubmit={(e) => {
            e.preventDefault();
            void alter.run({ set: { [name]: value } });
          }}
        >
          <Field label="Setting">
            {(id) => (
              <select id={id} value={name} onChange={(e) => setName(e.currentTarget.value)}>
                {configs.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Value">
            {(id) => (
              <input id={id} required value={value} onInput={(e) => setValue(e.currentTarget.value)} placeholder={configs.find((c) => c.name === name)?.value} />
            )}
          </Field>
          <div class="actions">
            <button type="submit" disabled={alter.busy}>
              Apply
            </button>
          </div>
        </form>
      </details>
      <ErrorNote error={alter.error} />
      <StatusNote text={alter.done} />
      <TableRegion label="Settings">
        <table aria-labelledby="settings-heading">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Value</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {configs.map((c) => (
              <tr key={c.name}>
                <th scope="row">
                  <code>{c.name}</code>
                </th>
                <td>
                  <code>{c.value}</code>
                </td>
                <td>
                  {c.isDefault ? (
                    'broker default'
                  ) : (
                    <>
                      topic{' '}
                      <button type="button" class="small" aria-label={`Use the broker default of ${c.name}`} disabled={alter.busy} onClick={() => void alter.run({ remove: [c.name] })}>
                        Use default
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableRegion>
    </section>
  );
}
