/** Fields several actions ask for: an outcome (completing a referral, closing a case) and a reason or summary. */
import type { Problem } from '../api/client';
import { known, useI18n } from '../i18n';
import { Field } from './ui';

export const OUTCOMES = ['resolved', 'partially_resolved', 'not_resolved'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function OutcomeField({ value, onChange, problem }: { value: Outcome; onChange: (value: Outcome) => void; problem: Problem | null }) {
  const { t } = useI18n();
  return (
    <Field label={t('action.outcome')} name="outcome" problem={problem} required>
      {(props) => (
        <select {...props} value={value} onChange={(event) => onChange(event.target.value as Outcome)}>
          {OUTCOMES.map((outcome) => <option key={outcome} value={outcome}>{known(t, 'outcome', outcome)}</option>)}
        </select>
      )}
    </Field>
  );
}

interface TextProps {
  readonly label: string;
  /** The field's name in the API's problem details. */
  readonly name: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly problem: Problem | null;
  readonly maxLength?: number;
}

export function ReasonField({ label, name, value, onChange, problem, maxLength = 2000 }: TextProps) {
  return (
    <Field label={label} name={name} problem={problem} required>
      {(props) => <textarea {...props} rows={3} value={value} maxLength={maxLength} onChange={(event) => onChange(event.target.value)} />}
    </Field>
  );
}
