/**
 * The auditor's screens: find a case (the index holds ids and dates only), then read its history event by
 * event, see it as it was at any revision or moment, check its hash chain (or the whole log's), download its
 * export and see who read it. Every read of a history is recorded by the server, so these screens never read
 * again by themselves (no refetch on focus); the auditor asks.
 */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, ProblemError, read } from '../api/client';
import { useCategoryName, useInstitutionName, useNetworks } from '../api/directory';
import type { AuditEvent, AuditState, IntegrityReport } from '../api/types';
import { useUserName } from '../api/users';
import { AccessEntries } from '../components/access-entries';
import { Field, LoadFailed, Loading, Section, StatusBadge, UrgencyBadge } from '../components/ui';
import { formatDateTime, formatNumber, fromWibInput, toWibInput, shortId } from '../format';
import { known, useI18n } from '../i18n';

/** Audit reads are recorded: read once, and again only when asked. */
const ONCE = { staleTime: Infinity, refetchOnWindowFocus: false, retry: false } as const;

export default function AuditCasesPage() {
  const { t, language } = useI18n();
  const [, navigate] = useLocation();
  const institution = useInstitutionName();
  const networks = useNetworks().data ?? [];
  const networkName = (id: string) => networks.find((network) => network.id === id)?.name ?? id;
  const [caseId, setCaseId] = useState('');
  const [idError, setIdError] = useState<string | null>(null);
  const [status, setStatus] = useState<'' | 'open' | 'closed'>('');
  const [networkId, setNetworkId] = useState('');
  const query = useInfiniteQuery({
    queryKey: ['audit-cases', status, networkId],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => read(api.GET('/api/v1/audit/cases', {
      params: { query: { limit: 20, ...(status ? { status } : {}), ...(networkId ? { networkId } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    getNextPageParam: (page) => page.nextCursor,
  });
  const cases = query.data?.pages.flatMap((page) => page.items) ?? [];

  function open(event: FormEvent) {
    event.preventDefault();
    const id = caseId.trim();
    if (!/^[\w-]{1,64}$/.test(id)) setIdError(t('audit.idInvalid'));
    else navigate(`/audit/cases/${encodeURIComponent(id)}`);
  }

  return (
    <>
      <h1>{t('audit.title')}</h1>
      <p className="muted">{t('audit.intro')}</p>
      <form className="card form" onSubmit={open} noValidate>
        <Field label={t('audit.caseId')} name="caseId" localError={idError} hint={t('audit.caseIdHint')} required>
          {(props) => <input {...props} value={caseId} autoComplete="off" spellCheck={false} onChange={(event) => {
            setCaseId(event.target.value);
            setIdError(null);
          }} />}
        </Field>
        <div className="actions"><button type="submit" className="primary">{t('audit.openCase')}</button></div>
      </form>
      <div className="filters">
        <label className="inline">
          {t('cases.filterStatus')}{' '}
          <select value={status} onChange={(event) => setStatus(event.target.value as typeof status)}>
            <option value="">{t('cases.all')}</option>
            <option value="open">{t('caseStatus.open')}</option>
            <option value="closed">{t('caseStatus.closed')}</option>
          </select>
        </label>
        <label className="inline">
          {t('case.network')}{' '}
          <select value={networkId} onChange={(event) => setNetworkId(event.target.value)}>
            <option value="">{t('cases.all')}</option>
            {networks.map((network) => <option key={network.id} value={network.id}>{network.name}</option>)}
          </select>
        </label>
      </div>
      {query.isPending ? <Loading /> : query.isError ? <LoadFailed error={query.error} retry={() => void query.refetch()} /> : cases.length === 0 ? (
        <p className="empty">{t('cases.empty')}</p>
      ) : (
        <ul className="rows" aria-label={t('audit.cases')}>
          {cases.map((item) => (
            <li key={item.id} className="row">
              <div className="row-main">
                <Link href={`/audit/cases/${item.id}`} className="row-title">{t('case.title')} {shortId(item.id)}</Link>
                <div className="row-meta">
                  <span className={`badge case-${item.status}`}>{t(`caseStatus.${item.status}`)}</span>
                  {item.escalated ? <span className="badge">{t('audit.escalated')}</span> : null}
                  <span className="muted">{t('audit.eventCount', { count: formatNumber(Number(item.revision) + 1, language) })}</span>
                </div>
              </div>
              <dl className="row-facts">
                <div><dt>{t('cases.owner')}</dt><dd>{institution(item.ownerInstitutionId)}</dd></div>
                <div><dt>{t('case.network')}</dt><dd>{networkName(item.networkId)}</dd></div>
                <div><dt>{t('cases.opened')}</dt><dd>{formatDateTime(item.openedAt, language)}</dd></div>
                {item.closedAt ? <div><dt>{t('case.closedOn')}</dt><dd>{formatDateTime(item.closedAt, language)}</dd></div> : null}
                <div><dt>{t('cases.referrals')}</dt><dd>{formatNumber(item.referrals, language)}</dd></div>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {query.hasNextPage ? <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>{t('app.more')}</button> : null}
    </>
  );
}

type Point = { readonly revision: number } | { readonly asOf: string };

export function AuditCasePage() {
  const { id } = useParams<{ id: string }>();
  const { t } = useI18n();
  const events = useInfiniteQuery({
    queryKey: ['audit', id, 'events'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => read(api.GET('/api/v1/audit/cases/{id}/events', { params: { path: { id }, query: { limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.nextCursor,
    ...ONCE,
  });
  // The whole history: the slider spans every revision.
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = events;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const [point, setPoint] = useState<Point | null>(null);

  const list = events.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <p><Link href="/audit">← {t('audit.title')}</Link></p>
      <h1>{t('audit.caseTitle', { id: shortId(id) })}</h1>
      <p className="muted"><code>{id}</code></p>
      {events.isPending ? <Loading /> : events.isError ? <LoadFailed error={events.error} retry={() => void events.refetch()} /> : (
        <>
          <div className="actions wrap">
            <a className="button" href={`/api/v1/audit/cases/${encodeURIComponent(id)}/export`} download={`case-${id}.ndjson`}>{t('audit.export')}</a>
          </div>
          <Section title={t('audit.integrity')}>
            <IntegrityCheck stream={`case-${id}`} label={t('audit.verifyCase')} />
          </Section>
          <div className="columns">
            {/* Once the whole history is here: the slider spans it, and its first read is of the last revision. */}
            {hasNextPage ? <Loading /> : <AsOf caseId={id} events={list} point={point ?? { revision: Number(list.at(-1)?.revision ?? 0) }} onPoint={setPoint} />}
            <History events={list} complete={!events.hasNextPage} onShow={(revision) => {
              setPoint({ revision });
              document.getElementById('as-of')?.scrollIntoView({ block: 'start' });
              document.getElementById('as-of-slider')?.focus({ preventScroll: true });
            }} />
          </div>
          <CaseAccessLog caseId={id} />
        </>
      )}
    </>
  );
}

function actorLabel(metadata: AuditEvent['metadata'], t: ReturnType<typeof useI18n>['t'], institution: (id: string) => string, user: (id: string) => string): string {
  const actor = (metadata['actor'] ?? {}) as { userId?: string; role?: string; institutionId?: string };
  return [actor.userId ? user(actor.userId) : null, actor.role ? known(t, 'role', actor.role) : null, actor.institutionId ? institution(actor.institutionId) : null].filter(Boolean).join(' · ');
}

function describeEvent(event: AuditEvent | undefined, t: ReturnType<typeof useI18n>['t'], language: ReturnType<typeof useI18n>['language']): string {
  if (!event) return '';
  return `${known(t, 'timeline', event.type)}, ${formatDateTime(String(event.metadata['occurredAt']), language)}`;
}

/** The case as it was: at a revision picked on a slider (or from the history), or at a WIB date and time. */
function AsOf({ caseId, events, point, onPoint }: { caseId: string; events: readonly AuditEvent[]; point: Point; onPoint: (point: Point) => void }) {
  const { t, language } = useI18n();
  const last = Number(events.at(-1)?.revision ?? 0);
  const [slider, setSlider] = useState('revision' in point ? point.revision : last);
  const [moment, setMoment] = useState(() => toWibInput(String(events.at(-1)?.metadata['occurredAt'] ?? new Date().toISOString())));
  const state = useQuery({
    queryKey: ['audit', caseId, 'state', point],
    queryFn: () => read(api.GET('/api/v1/audit/cases/{id}/state', {
      params: { path: { id: caseId }, query: 'revision' in point ? { revision: String(point.revision) } : { asOf: point.asOf } },
    })),
    placeholderData: keepPreviousData,
    ...ONCE,
  });
  // The slider follows where the state comes from: a revision picked in the history, or the moment asked for.
  const pointRevision = 'revision' in point ? point.revision : null;
  const shown = state.data && !state.isPlaceholderData ? Number(state.data.revision) : null;
  useEffect(() => {
    if (pointRevision !== null) setSlider(pointRevision);
  }, [pointRevision]);
  useEffect(() => {
    if (pointRevision === null && shown !== null) setSlider(shown);
  }, [pointRevision, shown]);
  // Moving the slider reads the state once it rests (each read is recorded).
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  function slide(revision: number) {
    setSlider(revision);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => onPoint({ revision }), 350);
  }

  const atSlider = events.find((event) => Number(event.revision) === slider);
  const valueText = t('audit.revisionOf', { revision: slider, last }) + (atSlider ? `: ${describeEvent(atSlider, t, language)}` : '');
  const failed = state.error instanceof ProblemError ? state.error.problem : state.isError ? { status: 0, detail: String(state.error) } : null;

  return (
    <Section title={t('audit.asOf')} id="as-of">
      <div className="field">
        <label htmlFor="as-of-slider">{t('audit.revision')}</label>
        <input id="as-of-slider" type="range" min={0} max={last} step={1} value={slider} aria-valuetext={valueText}
          onChange={(event) => slide(Number(event.target.value))} />
        <p className="hint" aria-hidden="true">{valueText}</p>
      </div>
      <form className="form compact" noValidate onSubmit={(event) => {
        event.preventDefault();
        if (moment) onPoint({ asOf: fromWibInput(moment) });
      }}>
        <Field label={t('audit.moment')} name="query.asOf" problem={failed?.status === 422 ? failed : null} required>
          {(props) => <input {...props} type="datetime-local" step={60} value={moment} onChange={(event) => setMoment(event.target.value)} />}
        </Field>
        <div className="actions"><button type="submit">{t('audit.showAtMoment')}</button></div>
      </form>
      <div aria-live="polite">
        {failed?.status === 404 ? <p className="banner warning">{t('audit.noStateThen')}</p> : failed && failed.status !== 422 ? <LoadFailed error={state.error} retry={() => void state.refetch()} /> : null}
        {state.isPending ? <Loading /> : state.data ? <CaseAtPoint answer={state.data} /> : null}
      </div>
    </Section>
  );
}

function CaseAtPoint({ answer }: { answer: AuditState }) {
  const { t, language } = useI18n();
  const institution = useInstitutionName();
  const category = useCategoryName();
  const { state } = answer;
  const subject = state.subject as Record<string, unknown>;
  return (
    <div className="as-of-state">
      <p><strong>{answer.asOf ? t('audit.stateAtMoment', { at: formatDateTime(answer.asOf, language), revision: answer.revision }) : t('audit.stateAtRevision', { revision: answer.revision })}</strong></p>
      <div className="row-meta">
        <span className={`badge case-${state.status}`}>{t(`caseStatus.${state.status}`)}</span>
        <UrgencyBadge urgency={state.urgency} />
      </div>
      <dl className="facts">
        <div><dt>{t('case.subject')}</dt><dd>{'erased' in state.subject ? t('case.erasedShort') : String(subject['name'] ?? '–')}</dd></div>
        <div><dt>{t('open.categories')}</dt><dd>{state.categories.map(category).join(', ')}</dd></div>
        <div><dt>{t('case.owner')}</dt><dd>{institution(state.ownerInstitutionId)}</dd></div>
        <div><dt>{t('case.participants')}</dt><dd>{state.participants.map(institution).join(', ')}</dd></div>
        {state.escalatedTo.length ? <div><dt>{t('case.escalatedTo')}</dt><dd>{state.escalatedTo.map(institution).join(', ')}</dd></div> : null}
        <div><dt>{t('case.consents')}</dt><dd>{formatNumber(state.consents.length, language)}</dd></div>
        {state.closedAt ? <div><dt>{t('case.closedOn')}</dt><dd>{formatDateTime(state.closedAt, language)}</dd></div> : null}
      </dl>
      {state.referrals.length ? (
        <ul className="plain">
          {state.referrals.map((referral) => (
            <li key={referral.id}>
              {institution(referral.fromInstitutionId)} → {institution(referral.toInstitutionId)} <StatusBadge status={referral.status} loopClosed={referral.loopClosed} />
            </li>
          ))}
        </ul>
      ) : <p className="muted">{t('case.noReferrals')}</p>}
      <details>
        <summary>{t('audit.rawState')}</summary>
        <pre className="json">{JSON.stringify(state, null, 2)}</pre>
      </details>
    </div>
  );
}

function History({ events, complete, onShow }: { events: readonly AuditEvent[]; complete: boolean; onShow: (revision: number) => void }) {
  const { t, language } = useI18n();
  const institution = useInstitutionName();
  const user = useUserName();
  return (
    <Section title={t('audit.history')}>
      <p className="muted">{t('audit.historyIntro', { count: formatNumber(events.length, language) })}</p>
      {!complete ? <Loading /> : null}
      <ol className="events">
        {events.map((event) => (
          <li key={event.revision}>
            <p className="event-head">
              <span className="badge">#{event.revision}</span> <strong>{known(t, 'timeline', event.type)}</strong>
            </p>
            <p className="muted event-meta">
              {formatDateTime(String(event.metadata['occurredAt']), language)} · {actorLabel(event.metadata, t, institution, user)}
            </p>
            <div className="event-actions">
              <button type="button" className="small" onClick={() => onShow(Number(event.revision))}>
                {t('audit.showRevision')}
                <span className="sr-only">{t('audit.showRevisionLabel', { revision: event.revision, what: known(t, 'timeline', event.type) })}</span>
              </button>
              <details>
                <summary>{t('audit.eventDetails')}</summary>
                <p className="muted"><code>{event.type}</code> · hash <code>{String(event.metadata['hash'] ?? '').slice(0, 16)}…</code></p>
                <pre className="json">{JSON.stringify({ data: event.data, ...(event.personal !== undefined ? { personal: event.personal } : {}), metadata: event.metadata }, null, 2)}</pre>
              </details>
            </div>
          </li>
        ))}
      </ol>
    </Section>
  );
}

function CaseAccessLog({ caseId }: { caseId: string }) {
  const { t } = useI18n();
  const log = useInfiniteQuery({
    queryKey: ['audit', caseId, 'access-log'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => read(api.GET('/api/v1/audit/cases/{id}/access-log', { params: { path: { id: caseId }, query: { limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (page) => page.nextCursor,
    ...ONCE,
  });
  const entries = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Section title={t('audit.accessLog')} actions={<button type="button" onClick={() => void log.refetch()} disabled={log.isFetching}>{t('audit.reload')}</button>}>
      <p className="muted">{t('audit.accessLogIntro')}</p>
      {log.isPending ? <Loading /> : log.isError ? <LoadFailed error={log.error} retry={() => void log.refetch()} /> : (
        <AccessEntries entries={entries} label={t('audit.accessLog')} />
      )}
      {log.hasNextPage ? <button type="button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>{t('app.more')}</button> : null}
    </Section>
  );
}

/** An integrity check of one stream or of the whole log, run when asked; its result stays on screen. */
function IntegrityCheck({ stream, label }: { stream?: string; label: string }) {
  const { t, language } = useI18n();
  const [run, setRun] = useState(0);
  const check = useQuery({
    queryKey: ['verify', stream ?? '*', run],
    enabled: run > 0,
    queryFn: () => read(api.GET('/api/v1/audit/verify', { params: { query: stream ? { stream } : {} } })),
    ...ONCE,
  });
  return (
    <div className="integrity">
      <button type="button" className="primary" onClick={() => setRun(run + 1)} disabled={check.isFetching}>
        {check.isFetching ? t('audit.verifying') : label}
      </button>
      <div role="status" aria-live="polite">
        {check.isError ? <LoadFailed error={check.error} retry={() => void check.refetch()} /> : null}
        {check.data && !check.isFetching ? <IntegrityResult report={check.data} checkedAt={check.dataUpdatedAt} language={language} /> : null}
      </div>
    </div>
  );
}

function IntegrityResult({ report, checkedAt, language }: { report: IntegrityReport; checkedAt: number; language: ReturnType<typeof useI18n>['language'] }) {
  const { t } = useI18n();
  const when = formatDateTime(new Date(checkedAt).toISOString(), language);
  if (report.ok) {
    return (
      <div className="banner ok">
        <strong>{t('audit.intact')}</strong>
        <p>{t('audit.intactDetail', { count: formatNumber(report.checked, language), at: when })}</p>
      </div>
    );
  }
  const broken = report.firstBroken!;
  return (
    <div className="banner error">
      <strong>{t('audit.broken')}</strong>
      <p>{t('audit.brokenDetail', { stream: broken.stream, revision: broken.revision, count: formatNumber(report.checked, language), at: when })}</p>
      <p><code>{broken.eventId}</code>: {broken.reason}</p>
    </div>
  );
}

export function IntegrityPage() {
  const { t } = useI18n();
  const [stream, setStream] = useState('');
  const [checked, setChecked] = useState<string | undefined>(undefined);
  const [key, setKey] = useState(0);
  return (
    <>
      <h1>{t('integrity.title')}</h1>
      <p className="muted">{t('integrity.intro')}</p>
      <Section title={t('integrity.whole')}>
        <IntegrityCheck label={t('integrity.verifyAll')} />
      </Section>
      <Section title={t('integrity.oneStream')}>
        <form className="form" noValidate onSubmit={(event) => {
          event.preventDefault();
          setChecked(stream.trim() || undefined);
          setKey(key + 1);
        }}>
          <Field label={t('integrity.stream')} name="stream" hint={t('integrity.streamHint')}>
            {(props) => <input {...props} value={stream} autoComplete="off" spellCheck={false} onChange={(event) => setStream(event.target.value)} />}
          </Field>
          <div className="actions"><button type="submit">{t('integrity.choose')}</button></div>
        </form>
        {checked ? <IntegrityCheck key={`${checked}-${key}`} stream={checked} label={t('integrity.verifyStream', { stream: checked })} /> : null}
      </Section>
    </>
  );
}
