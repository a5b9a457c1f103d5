/**
 * A case: the resident (for those who may read them), needs, consents, every referral with the actions its
 * state allows, notes and history. Actions carry the revision shown; if someone else changed the case in
 * between, the page says so and shows the case as it is now.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { Link, useParams } from 'wouter';
import { isParticipant, mayManageCase } from '../api/case-actions';
import { useCase, useCaseChanged, useCaseReasons } from '../api/case-queries';
import { useCategoryName, useInstitutionName } from '../api/directory';
import { useReferralEvents } from '../api/live';
import type { CaseView } from '../api/types';
import { CaseManagement, Consents, History, Notes } from '../components/case-sections';
import { ReferDialog } from '../components/refer-dialog';
import { ReferralCard } from '../components/referral-card';
import { LoadFailed, Loading, Section, UrgencyBadge } from '../components/ui';
import { formatDate, formatDateTime, shortId } from '../format';
import { known, useI18n } from '../i18n';
import { useSession } from '../session';
import { useNow } from './referral-box';

export default function CasePage() {
  const { id } = useParams<{ id: string }>();
  const { t } = useI18n();
  const query = useCase(id);
  const changed = useCaseChanged(id);
  const queryClient = useQueryClient();
  const [stale, setStale] = useState(false);
  const { session } = useSession();
  useReferralEvents(session.institutionId);

  const onStale = useCallback(() => {
    setStale(true);
    void queryClient.invalidateQueries({ queryKey: ['case', id] });
  }, [id, queryClient]);
  const onChanged = useCallback(async () => {
    setStale(false);
    await changed();
  }, [changed]);

  if (query.isPending) return <Loading />;
  if (query.isError) return <LoadFailed error={query.error} retry={() => void query.refetch()} />;
  return <CaseDetails view={query.data} stale={stale} onChanged={onChanged} onStale={onStale} />;
}

function CaseDetails({ view, stale, onChanged, onStale }: { view: CaseView; stale: boolean; onChanged: () => Promise<void>; onStale: () => void }) {
  const { t, language } = useI18n();
  const { session } = useSession();
  const name = useInstitutionName();
  const category = useCategoryName();
  const now = useNow();
  const participant = isParticipant(session, view);
  const words = useCaseReasons(view.id).data?.items ?? [];
  const caseWords = words.filter((word) => word.referralId === null);
  const manager = mayManageCase(session, view);
  const erased = 'erased' in view.subject;
  const subject = view.subject as Record<string, unknown>;
  const referring = session.institutionId !== null && view.participants.includes(session.institutionId) ? session.institutionId : view.ownerInstitutionId;

  return (
    <>
      <p><Link href="/cases">← {t('nav.cases')}</Link></p>
      <div className="page-head">
        <h1>{erased ? t('case.erasedShort') : String(subject['name'])}</h1>
        <div className="row-meta">
          <span className={`badge case-${view.status}`}>{t(`caseStatus.${view.status}`)}</span>
          <UrgencyBadge urgency={view.urgency} />
        </div>
      </div>
      <p className="muted">{t('case.title')} {shortId(view.id)} · {t('case.revision')} {view.revision} · {t('cases.opened')} {formatDateTime(view.openedAt, language)}</p>
      {stale ? <p className="banner warning" role="alert">{t('case.stale')}</p> : null}
      {erased ? <p className="banner" role="note">{t('case.erased')}</p> : null}

      <div className="columns">
        <div>
          <Section title={t('case.subject')} actions={session.role === 'dinsos' ? <Link href={`/subjects/${view.subject.id}`}>{t('case.subjectRights')}</Link> : null}>
            {erased ? <p>{t('case.erasedShort')}</p> : (
              <dl className="facts">
                {([['open.name', 'name'], ['open.nik', 'nik'], ['open.kk', 'kkNumber'], ['open.address', 'address'], ['open.rt', 'rt'], ['open.rw', 'rw'], ['open.phone', 'phone']] as const)
                  .filter(([, field]) => subject[field] !== undefined)
                  .map(([label, field]) => <div key={field}><dt>{t(label)}</dt><dd>{String(subject[field])}</dd></div>)}
                {subject['birthDate'] ? <div><dt>{t('open.birthDate')}</dt><dd>{formatDate(String(subject['birthDate']), language)}</dd></div> : null}
              </dl>
            )}
          </Section>
          <Section title={t('case.needs')}>
            <dl className="facts">
              <div><dt>{t('open.categories')}</dt><dd>{view.categories.map(category).join(', ')}</dd></div>
              {view.description !== undefined ? <div><dt>{t('case.description')}</dt><dd className="prose">{view.description}</dd></div> : null}
              <div><dt>{t('case.owner')}</dt><dd>{name(view.ownerInstitutionId)}</dd></div>
              <div><dt>{t('case.participants')}</dt><dd>{view.participants.map(name).join(', ')}</dd></div>
              {view.escalatedTo.length ? <div><dt>{t('case.escalatedTo')}</dt><dd>{view.escalatedTo.map(name).join(', ')}</dd></div> : null}
              {view.closedAt ? <div><dt>{t('case.closedOn')}</dt><dd>{formatDateTime(view.closedAt, language)}</dd></div> : null}
              {caseWords.map((word) => (
                <div key={`${word.revision}-${word.field}`}>
                  <dt>{known(t, 'words', `${word.type}.${word.field}`)} · {formatDateTime(word.at, language)}</dt>
                  <dd className="prose">{word.erased ? <em>{t('case.erasedShort')}</em> : word.text}</dd>
                </div>
              ))}
            </dl>
            {manager ? <CaseManagement view={view} onChanged={onChanged} onStale={onStale} /> : null}
          </Section>
          <Consents view={view} onChanged={onChanged} onStale={onStale} mayChange={participant} />
        </div>
        <div>
          <Section title={t('case.referrals')} actions={participant && view.status === 'open' ? <ReferDialog view={view} referringInstitutionId={referring} now={now} onChanged={onChanged} onStale={onStale} /> : null}>
            {view.referrals.length === 0 ? <p className="muted">{t('case.noReferrals')}</p> : (
              <ul className="referrals">
                {[...view.referrals].reverse().map((referral) => (
                  <ReferralCard key={referral.id} view={view} referral={referral} words={words.filter((word) => word.referralId === referral.id)} now={now} onChanged={onChanged} onStale={onStale} />
                ))}
              </ul>
            )}
          </Section>
          <Notes view={view} onChanged={onChanged} onStale={onStale} mayAdd={participant} mayRead />
          <History view={view} />
        </div>
      </div>
    </>
  );
}
