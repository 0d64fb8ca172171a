/**
 * The message browser: pick a partition and where to start (earliest, latest, an offset or a
 * time), page through records, and see each key and value as text, pretty-printed JSON or hex,
 * with headers and timestamps.
 */
import { useCallback, useState } from 'preact/hooks';
import { ErrorNote, StatusNote, Field } from '../components/notes';
import { readPage, type BrowsedRecord, type RecordPage, type StartAt } from '../browse';
import { formatCount, formatTimestamp, renderBytes, type BytesView } from '../format';
import { useAction } from '../hooks';
import type { Session } from '../session';

const PAGE_SIZE = 20;

type StartKind = StartAt['at'];

export function MessageBrowser({ session, topic, partitions }: { session: Session; topic: string; partitions: readonly number[] }) {
  const [partition, setPartition] = useState(partitions[0] ?? 0);
  const [kind, setKind] = useState<StartKind>('earliest');
  const [offset, setOffset] = useState('0');
  const [time, setTime] = useState('');
  const [view, setView] = useState<BytesView>('auto');
  const [page, setPage] = useState<RecordPage | null>(null);
  const load = useAction(
    useCallback(
      async (start: StartAt, p: number) => {
        const read = await readPage(session.strata, session.admin, { topic, partition: p, start, limit: PAGE_SIZE });
        setPage(read);
        const last = read.records[read.records.length - 1];
        return read.records.length === 0 ? `No records from offset ${read.from} (partition ${p} holds offsets ${read.low} to ${read.high - 1}).` : `Showing offsets ${read.records[0]!.offset} to ${last!.offset} of partition ${p}.`;
      },
      [session, topic],
    ),
  );
  const chosenStart = (): StartAt | null => {
    if (kind === 'offset') return { at: 'offset', offset: Number(offset) };
    if (kind === 'timestamp') {
      const ms = Date.parse(time.endsWith('Z') ? time : `${time}Z`);
      return Number.isFinite(ms) ? { at: 'timestamp', timestamp: ms } : null;
    }
    return { at: kind };
  };
  const first = page?.records[0];
  const last = page?.records[page.records.length - 1];
  return (
    <section aria-labelledby="browser-heading" class="browser">
      <h2 id="browser-heading">Messages</h2>
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          const start = chosenStart();
          if (start) void load.run(start, partition);
        }}
      >
        <Field label="Partition">
          {(id) => (
            <select id={id} value={partition} onChange={(e) => setPartition(Number(e.currentTarget.value))}>
              {partitions.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Start at">
          {(id) => (
            <select id={id} value={kind} onChange={(e) => setKind(e.currentTarget.value as StartKind)}>
              <option value="earliest">earliest</option>
              <option value="latest">latest</option>
              <option value="offset">offset</option>
              <option value="timestamp">time (UTC)</option>
            </select>
          )}
        </Field>
        {kind === 'offset' && (
          <Field label="Offset">
            {(id) => (
              <input id={id} type="number" min={0} required value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
            )}
          </Field>
        )}
        {kind === 'timestamp' && (
          <Field label="Time (UTC)">
            {(id) => (
              <input id={id} type="datetime-local" step="1" required value={time} onInput={(e) => setTime(e.currentTarget.value)} />
            )}
          </Field>
        )}
        <Field label="Show keys and values as">
          {(id) => (
            <select id={id} value={view} onChange={(e) => setView(e.currentTarget.value as BytesView)}>
              <option value="auto">auto (JSON, text or hex)</option>
              <option value="text">text</option>
              <option value="json">JSON</option>
              <option value="hex">hex</option>
            </select>
          )}
        </Field>
        <div class="actions">
          <button type="submit" disabled={load.busy}>
            {load.busy ? 'Reading…' : 'Read messages'}
          </button>
        </div>
      </form>
      <ErrorNote error={load.error} />
      <StatusNote text={load.done} />
      {page && (
        <>
          <nav class="pager" aria-label="Message pages">
            <button type="button" disabled={load.busy || !first || first.offset <= page.low} onClick={() => void load.run({ at: 'offset', offset: Math.max(page.low, first!.offset - PAGE_SIZE) }, page.partition)}>
              Previous page
            </button>
            <span>
              offsets {formatCount(page.low)} to {formatCount(Math.max(page.low, page.high - 1))} in partition {page.partition}
            </span>
            <button type="button" disabled={load.busy || !last || last.offset >= page.high - 1} onClick={() => void load.run({ at: 'offset', offset: last!.offset + 1 }, page.partition)}>
              Next page
            </button>
          </nav>
          <ol class="records" aria-label={`Records of partition ${page.partition}`}>
            {page.records.map((r) => (
              <RecordItem key={r.offset} record={r} view={view} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function RecordItem({ record, view }: { record: BrowsedRecord; view: BytesView }) {
  return (
    <li class="record" data-offset={record.offset}>
      <p class="record-meta">
        <span>
          offset <strong>{record.offset}</strong>
        </span>
        <span>
          <time dateTime={formatTimestamp(record.timestamp)}>{formatTimestamp(record.timestamp)}</time>
        </span>
      </p>
      <Bytes label="key" bytes={record.key} view={view} />
      <Bytes label="value" bytes={record.value} view={view} />
      {record.headers.length > 0 && (
        <dl class="headers" aria-label="headers">
          {record.headers.map((h, i) => (
            <div key={i}>
              <dt>{h.key}</dt>
              <dd>{h.value === null ? <em>null</em> : <Rendered bytes={h.value} view={view} />}</dd>
            </div>
          ))}
        </dl>
      )}
    </li>
  );
}

function Bytes({ label, bytes, view }: { label: 'key' | 'value'; bytes: Uint8Array | null; view: BytesView }) {
  return (
    <div class={`bytes bytes-${label}`}>
      <span class="bytes-label">{label}</span>
      {bytes === null ? <em>{label === 'value' ? 'null (tombstone)' : 'null'}</em> : <Rendered bytes={bytes} view={view} />}
    </div>
  );
}

function Rendered({ bytes, view }: { bytes: Uint8Array; view: BytesView }) {
  const shown = renderBytes(bytes, view);
  return (
    <span class="rendered">
      <span class="view-tag">{shown.view}</span>
      <pre data-view={shown.view}>{shown.text}</pre>
    </span>
  );
}
