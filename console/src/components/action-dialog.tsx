/**
 * An action that needs a few words (decline with a reason code, complete with an outcome, …): a button that
 * opens a dialog with the form, sends it through useCommand and shows the server's problems next to the
 * fields. Stale revisions (412) are reported to the page, which shows the case as it is now.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useCommand, type CommandHeaders, type Sent } from '../api/commands';
import type { Problem } from '../api/client';
import { useI18n } from '../i18n';
import { Dialog, ProblemBanner } from './ui';

interface ActionDialogProps<T> {
  readonly action: string;
  readonly label: string;
  readonly title?: string;
  readonly revision?: string;
  readonly variant?: 'primary' | 'danger' | 'plain';
  readonly send: (headers: CommandHeaders) => Promise<Sent<T>>;
  readonly onDone: (result: T) => void | Promise<void>;
  readonly onStale: () => void;
  /** The form's fields; with none, the button acts at once. */
  readonly fields?: (problem: Problem | null) => ReactNode;
  readonly submitLabel?: string;
}

export function ActionDialog<T>({ action, label, title, revision, variant = 'plain', send, onDone, onStale, fields, submitLabel }: ActionDialogProps<T>) {
  const { t } = useI18n();
  const command = useCommand(action);
  const [open, setOpen] = useState(false);

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    const result = await command.run(send, revision);
    if (result !== null) {
      setOpen(false);
      await onDone(result);
    }
  }

  const stale = command.problem?.status === 412;
  useEffect(() => {
    if (!stale) return;
    setOpen(false);
    onStale();
  }, [stale, onStale]);

  if (!fields) {
    return (
      <span className="inline-action">
        <button type="button" className={variant === 'plain' ? undefined : variant} disabled={command.pending} onClick={() => void submit()}>
          {command.pending ? t('action.sending') : label}
        </button>
        {!stale ? <ProblemBanner problem={command.problem} lostConnection={command.lostConnection} /> : null}
      </span>
    );
  }
  return (
    <>
      <button type="button" className={variant === 'plain' ? undefined : variant} onClick={() => {
        command.reset();
        setOpen(true);
      }}>{label}</button>
      <Dialog open={open} title={title ?? label} onClose={() => setOpen(false)}>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          {!stale ? <ProblemBanner problem={command.problem?.errors?.length ? null : command.problem} lostConnection={command.lostConnection} /> : null}
          {fields(command.problem)}
          <div className="actions">
            <button type="button" onClick={() => setOpen(false)}>{t('app.cancel')}</button>
            <button type="submit" className={variant === 'plain' ? 'primary' : variant} disabled={command.pending}>
              {command.pending ? t('action.sending') : submitLabel ?? label}
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
