/** Small building blocks every screen uses: badges, fields with their errors, problem banners, dialogs. */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { fieldErrors } from '../api/commands';
import type { Problem } from '../api/client';
import { formatSpan } from '../format';
import { known, useI18n } from '../i18n';
import { serverWords } from '../server-words';

export function StatusBadge({ status, loopClosed }: { status: string; loopClosed?: boolean }) {
  const { t } = useI18n();
  return (
    <span className={`badge status-${status}`}>
      {known(t, 'status', status)}
      {loopClosed ? ` · ${t('status.loopClosed')}` : ''}
    </span>
  );
}

export function UrgencyBadge({ urgency }: { urgency: string }) {
  const { t } = useI18n();
  return <span className={`badge urgency-${urgency}`}>{known(t, 'urgency', urgency)}</span>;
}

/** Time left to a due time, or how late it is; nothing once the referral ended. */
export function DueLabel({ dueAt, active, now }: { dueAt: string; active: boolean; now: number }) {
  const { t, language } = useI18n();
  if (!active) return null;
  const left = Date.parse(dueAt) - now;
  const time = formatSpan(left, language);
  return left >= 0
    ? <span className={left < 24 * 3_600_000 ? 'due soon' : 'due'}>{t('due.left', { time })}</span>
    : <span className="due late"><strong>{t('box.overdue')}</strong> · {t('due.late', { time })}</span>;
}

/** The problem of a failed action, as a banner that screen readers announce. */
export function ProblemBanner({ problem, lostConnection }: { problem: Problem | null; lostConnection?: boolean }) {
  const { t, language } = useI18n();
  const banner = useRef<HTMLDivElement>(null);
  // A refused form says so where the eye is: the summary comes into view and takes the focus (from there, Tab leads to the fields).
  useEffect(() => {
    if (!problem && !lostConnection) return;
    banner.current?.scrollIntoView({ block: 'center' });
    banner.current?.focus({ preventScroll: true });
  }, [problem, lostConnection]);
  if (!problem && !lostConnection) return null;
  if (lostConnection) return <div className="banner warning" role="alert" tabIndex={-1} ref={banner}>{t('action.retrySafe')}</div>;
  // Field problems are shown next to their fields; the banner says where to look. Others say what the server said.
  const fields = problem!.errors?.length ?? 0;
  return (
    <div className="banner error" role="alert" tabIndex={-1} ref={banner}>
      <strong>{fields > 0 ? t('problem.fields', { count: fields }) : t('problem.refused')}</strong>
      {fields > 0 ? null : <p>{serverWords(problem!.detail ?? problem!.title ?? `HTTP ${problem!.status}`, language)}</p>}
    </div>
  );
}

interface FieldProps {
  readonly label: string;
  /** The field's name in the API's problem details (`subject.nik`). */
  readonly name: string;
  readonly problem?: Problem | null;
  readonly hint?: ReactNode;
  /** A problem found while typing, before the server is asked. */
  readonly localError?: string | null;
  readonly required?: boolean;
  readonly children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby': string | undefined; required: boolean }) => ReactNode;
}

/** A labelled input with its hint and the server's (or the local check's) messages, tied together for assistive technology. */
export function Field({ label, name, problem = null, hint, localError, required = false, children }: FieldProps) {
  const { t, language } = useI18n();
  const id = useId();
  // What the page found while typing says it first; the server's word on the same field would only repeat it.
  const errors = localError ? [localError] : fieldErrors(problem, name).map((message) => serverWords(message, language));
  const describedBy = [hint ? `${id}-hint` : '', errors.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${errors.length ? ' invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="required" aria-hidden="true"> *</span> : <span className="muted"> ({t('app.optional')})</span>}
      </label>
      {children({ id, 'aria-invalid': errors.length > 0, 'aria-describedby': describedBy, required })}
      {hint ? <p className="hint" id={`${id}-hint`}>{hint}</p> : null}
      {errors.length ? <p className="error" id={`${id}-error`}>{errors.join(' ')}</p> : null}
    </div>
  );
}

/** A group of checkboxes or radios with its legend and errors. */
export function Choices({ legend, name, problem = null, children }: { legend: string; name: string; problem?: Problem | null; children: ReactNode }) {
  const { language } = useI18n();
  const id = useId();
  const errors = fieldErrors(problem, name).map((message) => serverWords(message, language));
  return (
    <fieldset className={`field${errors.length ? ' invalid' : ''}`} aria-describedby={errors.length ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {children}
      {errors.length ? <p className="error" id={`${id}-error`}>{errors.join(' ')}</p> : null}
    </fieldset>
  );
}

/**
 * A modal dialog on the platform's own <dialog>: focus moves into it and back, Escape closes it, the page
 * behind is inert.
 */
export function Dialog({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <CloseButton onClose={onClose} />
      </div>
      {open ? children : null}
    </dialog>
  );
}

function CloseButton({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  return <button type="button" className="ghost" onClick={onClose} aria-label={t('app.close')}>×</button>;
}

export function Loading() {
  const { t } = useI18n();
  return <p className="muted" role="status">{t('app.loading')}</p>;
}

/** A read that failed, with a way to try again. */
export function LoadFailed({ error, retry }: { error: unknown; retry: () => void }) {
  const { t } = useI18n();
  return (
    <div className="banner error" role="alert">
      <p>{error instanceof Error ? error.message : String(error)}</p>
      <button type="button" onClick={retry}>{t('app.retry')}</button>
    </div>
  );
}

export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId} id={id}>
      <div className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}
