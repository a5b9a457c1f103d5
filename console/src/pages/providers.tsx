/**
 * The directory as those who manage it see it: dinsos registers and manages the city-wide providers (Dinas
 * Sosial, Puskesmas, RSUD, Dukcapil…); an admin every institution. Register, rename, suspend with a reason,
 * reactivate; each change carries the institution's revision.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type Problem } from '../api/client';
import { useCommand } from '../api/commands';
import { useCategories, useCategoryName, useInstitutions, useRegions } from '../api/directory';
import type { Institution } from '../api/types';
import { ActionDialog } from '../components/action-dialog';
import { Choices, Dialog, Field, LoadFailed, Loading, ProblemBanner } from '../components/ui';
import { formatNumber } from '../format';
import { known, useI18n } from '../i18n';
import { useSession } from '../session';

/** Every kind the API knows (a kind added there and missing here is a type error). */
const KIND_NAMES: Readonly<Record<Institution['kind'], true>> = {
  rt: true, rw: true, pkk: true, karang_taruna: true, posyandu: true, majelis_taklim: true, lks: true, psm: true, tksk: true, puskesos: true,
  dinsos: true, puskesmas: true, rsud: true, school: true, dukcapil: true, other: true,
};
const KINDS = Object.keys(KIND_NAMES) as Institution['kind'][];

export default function ProvidersPage() {
  const { t, language } = useI18n();
  const { session } = useSession();
  const admin = session.role === 'admin';
  const institutions = useInstitutions();
  const category = useCategoryName();
  const regions = useRegions().data ?? [];
  const regionName = (code: string) => regions.find((region) => region.code === code)?.name ?? code;
  const [scope, setScope] = useState<'city' | 'network' | ''>('city');
  const queryClient = useQueryClient();
  const [stale, setStale] = useState(false);
  const changed = async () => {
    setStale(false);
    await queryClient.invalidateQueries({ queryKey: ['institutions'] });
  };
  const onStale = () => {
    setStale(true);
    void queryClient.invalidateQueries({ queryKey: ['institutions'] });
  };
  const shown = (institutions.data ?? [])
    .filter((institution) => (admin ? !scope || institution.scope === scope : institution.scope === 'city'))
    .sort((one, other) => one.name.localeCompare(other.name));

  return (
    <>
      <div className="page-head">
        <h1>{t(admin ? 'providers.titleAdmin' : 'providers.title')}</h1>
        <RegisterDialog admin={admin} onDone={changed} />
      </div>
      <p className="muted">{t(admin ? 'providers.introAdmin' : 'providers.intro')}</p>
      {admin ? (
        <label className="inline">
          {t('providers.scope')}{' '}
          <select value={scope} onChange={(event) => setScope(event.target.value as typeof scope)}>
            <option value="city">{t('scope.city')}</option>
            <option value="network">{t('scope.network')}</option>
            <option value="">{t('cases.all')}</option>
          </select>
        </label>
      ) : null}
      {stale ? <p className="banner warning" role="alert">{t('providers.stale')}</p> : null}
      {institutions.isPending ? <Loading /> : institutions.isError ? <LoadFailed error={institutions.error} retry={() => void institutions.refetch()} /> : shown.length === 0 ? (
        <p className="empty">{t('providers.empty')}</p>
      ) : (
        <ul className="rows" aria-label={t(admin ? 'providers.titleAdmin' : 'providers.title')}>
          {shown.map((institution) => (
            <li key={institution.id} className={`row${institution.status === 'suspended' ? ' ended' : ''}`}>
              <div className="row-main">
                <h2 className="row-title">{institution.name}</h2>
                <div className="row-meta">
                  <span className="badge">{known(t, 'kind', institution.kind)}</span>
                  <span className={`badge ${institution.status === 'active' ? 'status-completed' : 'status-declined'}`}>{t(`institutionStatus.${institution.status}`)}</span>
                  <span className="muted">{t(`scope.${institution.scope}`)}</span>
                </div>
              </div>
              <dl className="row-facts">
                <div><dt>{t('providers.region')}</dt><dd>{regionName(institution.regionCode)}</dd></div>
                <div><dt>{t('providers.serves')}</dt><dd>{institution.categoriesServed.map(category).join(', ') || '–'}</dd></div>
                <div><dt>{t('providers.capacity')}</dt><dd>{institution.capacity === null ? '–' : formatNumber(institution.capacity, language)}</dd></div>
              </dl>
              <ProviderActions institution={institution} onDone={changed} onStale={onStale} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function ProviderActions({ institution, onDone, onStale }: { institution: Institution; onDone: () => Promise<void>; onStale: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(institution.name);
  const [reason, setReason] = useState('');
  const path = { id: institution.id };
  const common = { revision: institution.revision, onDone, onStale };
  return (
    <div className="actions wrap">
      <ActionDialog {...common} action={`rename:${institution.id}`} label={t('providers.rename')} title={t('providers.renameTitle', { name: institution.name })}
        send={(headers) => api.POST('/api/v1/institutions/{id}/rename', { params: { path }, body: { name: name.trim() }, headers })}
        fields={(problem) => (
          <Field label={t('providers.name')} name="name" problem={problem} required>
            {(props) => <input {...props} value={name} maxLength={200} onChange={(event) => setName(event.target.value)} />}
          </Field>
        )} />
      {institution.status === 'active' ? (
        <ActionDialog {...common} action={`suspend:${institution.id}`} variant="danger" label={t('providers.suspend')} title={t('providers.suspendTitle', { name: institution.name })}
          send={(headers) => api.POST('/api/v1/institutions/{id}/suspend', { params: { path }, body: { reason: reason.trim() }, headers })}
          fields={(problem) => (
            <>
              <p>{t('providers.suspendEffect')}</p>
              <Field label={t('action.reason')} name="reason" problem={problem} required>
                {(props) => <textarea {...props} rows={3} maxLength={2000} value={reason} onChange={(event) => setReason(event.target.value)} />}
              </Field>
            </>
          )} />
      ) : (
        <ActionDialog {...common} action={`reactivate:${institution.id}`} variant="primary" label={t('providers.reactivate')}
          send={(headers) => api.POST('/api/v1/institutions/{id}/reactivate', { params: { path }, body: {}, headers })} />
      )}
    </div>
  );
}

function RegisterDialog({ admin, onDone }: { admin: boolean; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const categories = useCategories().data ?? [];
  const regions = (useRegions().data ?? []).filter((region) => region.level !== 'provinsi');
  const command = useCommand('register-institution');
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'city' | 'network'>('city');
  const [kind, setKind] = useState<Institution['kind']>('puskesmas');
  const [regionCode, setRegionCode] = useState('');
  const [served, setServed] = useState<string[]>([]);
  const [capacity, setCapacity] = useState('');
  const region = regionCode || regions[0]?.code || '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body = {
      name: name.trim(), kind, regionCode: region, scope: admin ? scope : 'city' as const, categoriesServed: served,
      ...(capacity.trim() ? { capacity: Number(capacity) } : {}),
    };
    const registered = await command.run((headers) => api.POST('/api/v1/institutions', { body, headers }));
    if (registered) {
      setOpen(false);
      setName('');
      setServed([]);
      setCapacity('');
      await onDone();
    }
  }

  const problem: Problem | null = command.problem;
  return (
    <>
      <button type="button" className="primary" onClick={() => {
        command.reset();
        setOpen(true);
      }}>{t(admin ? 'providers.registerAny' : 'providers.register')}</button>
      <Dialog open={open} title={t(admin ? 'providers.registerAny' : 'providers.register')} onClose={() => setOpen(false)}>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          <ProblemBanner problem={problem?.errors?.length ? null : problem} lostConnection={command.lostConnection} />
          <Field label={t('providers.name')} name="name" problem={problem} required>
            {(props) => <input {...props} value={name} maxLength={200} autoComplete="off" onChange={(event) => setName(event.target.value)} />}
          </Field>
          <div className="grid-2">
            <Field label={t('refer.kind')} name="kind" problem={problem} required>
              {(props) => (
                <select {...props} value={kind} onChange={(event) => setKind(event.target.value as Institution['kind'])}>
                  {KINDS.map((value) => <option key={value} value={value}>{known(t, 'kind', value)}</option>)}
                </select>
              )}
            </Field>
            {admin ? (
              <Field label={t('providers.scope')} name="scope" problem={problem} required>
                {(props) => (
                  <select {...props} value={scope} onChange={(event) => setScope(event.target.value as typeof scope)}>
                    <option value="city">{t('scope.city')}</option>
                    <option value="network">{t('scope.network')}</option>
                  </select>
                )}
              </Field>
            ) : null}
          </div>
          <Field label={t('providers.region')} name="regionCode" problem={problem} required>
            {(props) => (
              <select {...props} value={region} onChange={(event) => setRegionCode(event.target.value)}>
                {regions.map((candidate) => <option key={candidate.code} value={candidate.code}>{candidate.name} ({candidate.code})</option>)}
              </select>
            )}
          </Field>
          <Choices legend={t('providers.serves')} name="categoriesServed" problem={problem}>
            <div className="checks scroll">
              {categories.map((candidate) => (
                <label key={candidate.code} className="check">
                  <input type="checkbox" checked={served.includes(candidate.code)} onChange={(event) =>
                    setServed(event.target.checked ? [...served, candidate.code] : served.filter((code) => code !== candidate.code))} />
                  {' '}{candidate.name}
                </label>
              ))}
            </div>
          </Choices>
          <Field label={t('providers.capacity')} name="capacity" problem={problem} hint={t('providers.capacityHint')}>
            {(props) => <input {...props} type="number" inputMode="numeric" min={0} value={capacity} onChange={(event) => setCapacity(event.target.value)} />}
          </Field>
          <div className="actions">
            <button type="button" onClick={() => setOpen(false)}>{t('app.cancel')}</button>
            <button type="submit" className="primary" disabled={command.pending}>{command.pending ? t('action.sending') : t('providers.submit')}</button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
