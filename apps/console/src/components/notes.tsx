/** Small shared pieces: error and status notes, labelled form fields, a horizontally scrolling table region, a labelled value list. */
import type { ComponentChildren, VNode } from 'preact';
import { useId } from 'preact/hooks';

/** A form control with its label (linked by id, so the control's accessible name is exactly the label). */
export function Field({ label, wide, children }: { label: ComponentChildren; wide?: boolean; children: (id: string) => VNode }) {
  const id = useId();
  return (
    <div class={wide ? 'field wide' : 'field'}>
      <label for={id}>{label}</label>
      {children(id)}
    </div>
  );
}

export function ErrorNote({ error }: { error: string | null | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

/** Announces the outcome of an action to screen readers and shows it. */
export function StatusNote({ text }: { text: string | null | undefined }) {
  return (
    <p class="status" role="status">
      {text ?? ''}
    </p>
  );
}

/** A table that scrolls sideways in a narrow window, reachable and scrollable with the keyboard. */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-region" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function Facts({ items }: { items: ReadonlyArray<readonly [string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
