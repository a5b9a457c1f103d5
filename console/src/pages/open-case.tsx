/**
 * Opening a case: the resident (NIK checked as it is typed), the PPKS categories, the urgency and what the
 * problem is. The server's problem details appear next to the fields they name.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api/client';
import { useCommand } from '../api/commands';
import { useCategories, useInstitutions, useNetworks, useRegions } from '../api/directory';
import { Choices, Field, ProblemBanner } from '../components/ui';
import { known, useI18n } from '../i18n';
import { nikProblem } from '../nik';
import { useSession } from '../session';

const URGENCIES = ['emergency', 'high', 'normal', 'low'] as const;

export default function OpenCasePage() {
  const { t } = useI18n();
  const { session } = useSession();
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const institutions = useInstitutions();
  const networks = useNetworks();
  const regions = useRegions();
  const categories = useCategories();
  const command = useCommand('open-case');

  const own = institutions.data?.find((institution) => institution.id === session.institutionId);
  const networkChoices = (networks.data ?? []).filter((network) => session.role === 'coordinator' ? network.id === session.networkId : own?.networkIds.includes(network.id));
  const [networkId, setNetworkId] = useState<string>('');
  const chosenNetwork = networkId || networkChoices[0]?.id || '';
  const members = (institutions.data ?? []).filter((institution) => institution.networkIds.includes(chosenNetwork));
  const [owner, setOwner] = useState('');
  const [name, setName] = useState('');
  const [nik, setNik] = useState('');
  const [kkNumber, setKkNumber] = useState('');
  const [address, setAddress] = useState('');
  const [rt, setRt] = useState('');
  const [rw, setRw] = useState('');
  const [regionCode, setRegionCode] = useState('');
  const [phone, setPhone] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const [chosenCategories, setChosenCategories] = useState<string[]>([]);
  const [urgency, setUrgency] = useState<(typeof URGENCIES)[number]>('normal');
  const [description, setDescription] = useState('');
  const kelurahan = (regions.data ?? []).filter((region) => region.level === 'kelurahan').sort((left, right) => left.name.localeCompare(right.name, 'id'));
  // Most residents live in the network's own kelurahan: start there.
  const networkRegion = networkChoices.find((network) => network.id === chosenNetwork)?.regionCode;
  const defaultRegion = kelurahan.find((region) => region.code === networkRegion)?.code ?? kelurahan[0]?.code ?? '';
  const nikCheck = nik ? nikProblem(nik) : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const optional = (value: string) => (value.trim() ? value.trim() : undefined);
    const body = {
      networkId: chosenNetwork,
      ...(session.role === 'coordinator' && owner ? { ownerInstitutionId: owner } : {}),
      subject: {
        name: name.trim(),
        nik: optional(nik), kkNumber: optional(kkNumber), address: optional(address), rt: optional(rt), rw: optional(rw),
        regionCode: regionCode || defaultRegion, phone: optional(phone), birthDate: optional(birthDate),
      },
      categories: chosenCategories,
      urgency,
      description: description.trim(),
    };
    const opened = await command.run((headers) => api.POST('/api/v1/cases', { body, headers }));
    if (opened) {
      void queryClient.invalidateQueries({ queryKey: ['cases'] });
      navigate(`/cases/${opened.id}`);
    }
  }

  const problem = command.problem;
  return (
    <>
      <h1>{t('open.title')}</h1>
      <p className="muted">{t('open.intro')}</p>
      <form className="card form" onSubmit={(event) => void submit(event)} noValidate>
        <ProblemBanner problem={problem} lostConnection={command.lostConnection} />
        <fieldset>
          <legend>{t('open.subject')}</legend>
          <Field label={t('open.name')} name="subject.name" problem={problem} required>
            {(props) => <input {...props} value={name} onChange={(event) => setName(event.target.value)} autoComplete="off" maxLength={200} />}
          </Field>
          <Field label={t('open.nik')} name="subject.nik" problem={problem} hint={nik && !nikCheck ? <span className="ok">{t('open.nikOk')}</span> : t('open.nikHint')}
            localError={nikCheck ? t(nikCheck.key, { count: nikCheck.count ?? 0 }) : null}>
            {(props) => <input {...props} value={nik} inputMode="numeric" autoComplete="off" maxLength={16} onChange={(event) => setNik(event.target.value.replace(/\s/g, ''))} />}
          </Field>
          <Field label={t('open.region')} name="subject.regionCode" problem={problem} required>
            {(props) => (
              <select {...props} value={regionCode || defaultRegion} onChange={(event) => setRegionCode(event.target.value)}>
                {kelurahan.map((region) => <option key={region.code} value={region.code}>{region.name} ({region.code})</option>)}
              </select>
            )}
          </Field>
          <div className="grid-3">
            <Field label={t('open.address')} name="subject.address" problem={problem}>
              {(props) => <input {...props} value={address} onChange={(event) => setAddress(event.target.value)} autoComplete="off" />}
            </Field>
            <Field label={t('open.rt')} name="subject.rt" problem={problem}>
              {(props) => <input {...props} value={rt} inputMode="numeric" maxLength={3} onChange={(event) => setRt(event.target.value)} />}
            </Field>
            <Field label={t('open.rw')} name="subject.rw" problem={problem}>
              {(props) => <input {...props} value={rw} inputMode="numeric" maxLength={3} onChange={(event) => setRw(event.target.value)} />}
            </Field>
          </div>
          <div className="grid-3">
            <Field label={t('open.kk')} name="subject.kkNumber" problem={problem}>
              {(props) => <input {...props} value={kkNumber} inputMode="numeric" maxLength={16} onChange={(event) => setKkNumber(event.target.value)} />}
            </Field>
            <Field label={t('open.phone')} name="subject.phone" problem={problem}>
              {(props) => <input {...props} type="tel" value={phone} onChange={(event) => setPhone(event.target.value)} autoComplete="off" />}
            </Field>
            <Field label={t('open.birthDate')} name="subject.birthDate" problem={problem}>
              {(props) => <input {...props} type="date" value={birthDate} onChange={(event) => setBirthDate(event.target.value)} />}
            </Field>
          </div>
        </fieldset>
        <Field label={t('open.network')} name="networkId" problem={problem} required>
          {(props) => (
            <select {...props} value={chosenNetwork} onChange={(event) => setNetworkId(event.target.value)}>
              {networkChoices.map((network) => <option key={network.id} value={network.id}>{network.name}</option>)}
            </select>
          )}
        </Field>
        {session.role === 'coordinator' ? (
          <Field label={t('open.owner')} name="ownerInstitutionId" problem={problem} required>
            {(props) => (
              <select {...props} value={owner} onChange={(event) => setOwner(event.target.value)}>
                <option value="">—</option>
                {members.map((member) => <option key={member.id} value={member.id}>{member.name}</option>)}
              </select>
            )}
          </Field>
        ) : null}
        <Choices legend={`${t('open.categories')} *`} name="categories" problem={problem}>
          <div className="checks scroll">
            {(categories.data ?? []).map((category) => (
              <label key={category.code} className="check">
                <input type="checkbox" checked={chosenCategories.includes(category.code)} onChange={(event) =>
                  setChosenCategories(event.target.checked ? [...chosenCategories, category.code] : chosenCategories.filter((code) => code !== category.code))} />
                {' '}{category.name}
              </label>
            ))}
          </div>
        </Choices>
        <Choices legend={`${t('open.urgency')} *`} name="urgency" problem={problem}>
          <div className="radios">
            {URGENCIES.map((value) => (
              <label key={value} className="check">
                <input type="radio" name="urgency" value={value} checked={urgency === value} onChange={() => setUrgency(value)} /> {known(t, 'urgency', value)}
              </label>
            ))}
          </div>
        </Choices>
        <Field label={t('open.description')} name="description" problem={problem} required>
          {(props) => <textarea {...props} rows={4} value={description} maxLength={4000} onChange={(event) => setDescription(event.target.value)} />}
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={command.pending}>{command.pending ? t('action.sending') : t('open.submit')}</button>
        </div>
      </form>
    </>
  );
}
