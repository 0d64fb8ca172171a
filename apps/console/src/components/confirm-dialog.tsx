/**
 * A modal confirmation on the native <dialog> (focus moves into it, Escape cancels, the page behind
 * is inert). For destructive actions the operator types the name of what goes away.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Field } from './notes';

interface ConfirmDialogProps {
  title: string;
  children: ComponentChildren;
  /** When set, the confirm button is enabled only once this text is typed. */
  typeToConfirm?: string;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, children, typeToConfirm, confirmLabel, busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    return () => dialog.close();
  }, []);
  const ready = typeToConfirm === undefined || typed === typeToConfirm;
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="dialog-title" onCancel={(e) => (e.preventDefault(), onCancel())}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready && !busy) onConfirm();
        }}
      >
        <h2 id="dialog-title">{title}</h2>
        {children}
        {typeToConfirm !== undefined && (
          <Field
            label={
              <>
                Type <code>{typeToConfirm}</code> to confirm
              </>
            }
          >
            {(id) => (
              <input id={id} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
            )}
          </Field>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={!ready || busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
