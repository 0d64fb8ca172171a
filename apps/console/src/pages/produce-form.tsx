/** Produces one test message (text key, value and headers) to a topic and says where it went. */
import { useCallback, useState } from 'preact/hooks';
import { ErrorNote, StatusNote, Field } from '../components/notes';
import { useAction } from '../hooks';
import type { Monitor } from '../monitor';
import type { Session } from '../session';

/** "a=1\nb=2" -> { a: '1', b: '2' }; blank lines skipped; a line without "=" is a header with an empty value. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    headers[(eq < 0 ? line : line.slice(0, eq)).trim()] = eq < 0 ? '' : line.slice(eq + 1);
  }
  return headers;
}

export function ProduceForm({ session, monitor, topic, partitions }: { session: Session; monitor: Monitor; topic: string; partitions: number }) {
  const [partition, setPartition] = useState('');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [headers, setHeaders] = useState('');
  const produce = useAction(
    useCallback(
      async () => {
        const written = await session.produce({
          topic,
          key: key === '' ? null : key,
          value,
          headers: parseHeaders(headers),
          ...(partition === '' ? {} : { partition: Number(partition) }),
        });
        void monitor.refresh();
        return `Written to partition ${written.partition} at offset ${written.offset}.`;
      },
      [session, monitor, topic, partition, key, value, headers],
    ),
  );
  return (
    <section aria-labelledby="produce-heading">
      <h2 id="produce-heading">Produce a test message</h2>
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void produce.run();
        }}
      >
        <Field label="Partition">
          {(id) => (
            <select id={id} value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
              <option value="">by key (partitioner)</option>
              {Array.from({ length: partitions }, (_, p) => (
                <option key={p} value={String(p)}>
                  {p}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Key (empty: none)">
          {(id) => (
            <input id={id} value={key} onInput={(e) => setKey(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Value" wide>
          {(id) => (
            <textarea id={id} rows={3} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Headers (one name=value a line)" wide>
          {(id) => (
            <textarea id={id} rows={2} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
          )}
        </Field>
        <div class="actions">
          <button type="submit" disabled={produce.busy}>
            {produce.busy ? 'Sending…' : 'Send message'}
          </button>
        </div>
      </form>
      <ErrorNote error={produce.error} />
      <StatusNote text={produce.done} />
    </section>
  );
}
