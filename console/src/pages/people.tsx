/**
 * The people with access to the console and since when (admins; auditors read it to see who had access
 * when). An admin invites someone (the single-use sign-in link is shown once, to copy and pass on), sends a
 * known person a new link, or revokes a person's access with a reason.
 */
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, read, type Problem } from '../api/client';
import { useCommand } from '../api/commands';
import { useInstitutionName, useInstitutions, useNetworks } from '../api/directory';
import type { Role, User } from '../api/types';
import { useUserName } from '../api/users';
import { ActionDialog } from '../components/action-dialog';
import { Dialog, Field, LoadFailed, Loading, ProblemBanner } from '../components/ui';
import { formatDateTime, formatNumber } from '../format';
import { known, useI18n } from '../i18n';
import { useSession } from '../session';

const ROLES: readonly Role[] = ['caseworker', 'coordinator', 'dinsos', 'auditor', 'analyst', 'admin'];

interface Invitation {
  readonly link: string | null;
  readonly expiresAt: string;
  readonly who: string;
}

export default function PeoplePage() {
  const { t, language } = useI18n();
  const { session } = useSession();
  const institution = useInstitutionName();
  const user = useUserName();
  const networks = useNetworks().data ?? [];
  const networkName = (id: string) => networks.find((network) => network.id === id)?.name ?? id;
  const [role, setRole] = useState<Role | ''>('');
  const [status, setStatus] = useState<'active' | 'revoked' | ''>('');
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const admin = session.role === 'admin';
  const query = useInfiniteQuery({
    queryKey: ['users', role, status],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => read(api.GET('/api/v1/users', {
      params: { query: { limit: 50, ...(role ? { role } : {}), ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    getNextPageParam: (page) => page.nextCursor,
  });
  const people = query.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <>
      <div className="page-head">
        <h1>{t('people.title')}</h1>
        {admin ? <InviteDialog onInvited={setInvitation} /> : null}
      </div>
      <p className="muted">{t(admin ? 'people.intro' : 'people.introAuditor')}</p>
      {invitation ? <InvitationLink invitation={invitation} onDismiss={() => setInvitation(null)} /> : null}
      <div className="filters">
        <label className="inline">
          {t('people.role')}{' '}
          <select value={role} onChange={(event) => setRole(event.target.value as Role | '')}>
            <option value="">{t('cases.all')}</option>
            {ROLES.map((value) => <option key={value} value={value}>{t(`role.${value}`)}</option>)}
          </select>
        </label>
        <label className="inline">
          {t('people.status')}{' '}
          <select value={status} onChange={(event) => setStatus(event.target.value as typeof status)}>
            <option value="">{t('cases.all')}</option>
            <option value="active">{t('people.active')}</option>
            <option value="revoked">{t('people.revoked')}</option>
          </select>
        </label>
      </div>
      {query.isPending ? <Loading /> : query.isError ? <LoadFailed error={query.error} retry={() => void query.refetch()} /> : people.length === 0 ? (
        <p className="empty">{t('people.empty')}</p>
      ) : (
        <ul className="rows" aria-label={t('people.title')}>
          {people.map((person) => (
            <li key={person.userId} className={`row${person.status === 'revoked' ? ' ended' : ''}`}>
              <div className="row-main">
                <h2 className="row-title">{person.displayName ?? person.userId}</h2>
                <div className="row-meta">
                  <span className="badge">{t(`role.${person.role}`)}</span>
                  <span className={`badge ${person.status === 'active' ? 'status-completed' : 'status-cancelled'}`}>{t(person.status === 'active' ? 'people.active' : 'people.revoked')}</span>
                  {person.institutionId ? <span className="muted">{institution(person.institutionId)}</span> : null}
                  {person.networkId ? <span className="muted">{networkName(person.networkId)}</span> : null}
                </div>
              </div>
              <dl className="row-facts">
                <div><dt>{t('people.userId')}</dt><dd><code>{person.userId}</code></dd></div>
                <div><dt>{t('people.invited')}</dt><dd>{formatDateTime(person.invitedAt, language)}{person.invitedBy ? ` · ${t('people.by', { who: user(person.invitedBy) })}` : ''}</dd></div>
                <div><dt>{t('people.lastSignIn')}</dt><dd>{formatDateTime(person.lastSignInAt, language)}</dd></div>
                <div><dt>{t('people.sessions')}</dt><dd>{formatNumber(person.activeSessions, language)}</dd></div>
                {person.revokedAt ? <div><dt>{t('people.revokedAt')}</dt><dd>{formatDateTime(person.revokedAt, language)}{person.revokedBy ? ` · ${t('people.by', { who: user(person.revokedBy) })}` : ''}</dd></div> : null}
              </dl>
              {admin ? <PersonActions person={person} self={person.userId === session.userId} onInvited={setInvitation} /> : null}
            </li>
          ))}
        </ul>
      )}
      {query.hasNextPage ? <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>{t('app.more')}</button> : null}
    </>
  );
}

/** The link, once: it is never stored, so it cannot be shown again. */
function InvitationLink({ invitation, onDismiss }: { invitation: Invitation; onDismiss: () => void }) {
  const { t, language } = useI18n();
  const [copied, setCopied] = useState<boolean | null>(null);
  // The new content takes the focus, so that a screen reader reads it out.
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), [invitation]);
  if (!invitation.link) {
    return <p className="banner warning" role="status">{t('people.linkReplayed')}</p>;
  }
  const link = invitation.link;
  return (
    <section className="card invitation" aria-labelledby="invitation-title">
      <h2 id="invitation-title" ref={title} tabIndex={-1}>{t('people.linkFor', { who: invitation.who })}</h2>
      <p>{t('people.linkOnce')}</p>
      <div className="copy-row">
        <label className="sr-only" htmlFor="invitation-link">{t('people.link')}</label>
        <input id="invitation-link" readOnly value={link} onFocus={(event) => event.target.select()} />
        <button type="button" className="primary" onClick={() => {
          navigator.clipboard.writeText(link).then(() => setCopied(true), () => setCopied(false));
        }}>{t('people.copy')}</button>
      </div>
      <p className="muted" aria-live="polite">
        {t('people.expires', { at: formatDateTime(invitation.expiresAt, language) })}
        {copied === true ? ` · ${t('people.copied')}` : copied === false ? ` · ${t('people.copyFailed')}` : ''}
      </p>
      <div className="actions"><button type="button" onClick={onDismiss}>{t('people.done')}</button></div>
    </section>
  );
}

function InviteDialog({ onInvited }: { onInvited: (invitation: Invitation) => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const institutions = useInstitutions().data ?? [];
  const networks = useNetworks().data ?? [];
  const [open, setOpen] = useState(false);
  const [role, setRole] = useState<Role>('caseworker');
  const [institutionId, setInstitutionId] = useState('');
  const [networkId, setNetworkId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [hours, setHours] = useState('24');
  const command = useCommand('invite');
  const needsInstitution = role === 'caseworker';
  const mayHaveInstitution = role === 'caseworker' || role === 'dinsos';

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body = {
      role,
      ...(mayHaveInstitution && institutionId ? { institutionId } : {}),
      ...(role === 'coordinator' && networkId ? { networkId } : {}),
      ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
      expiresInHours: Number(hours),
    };
    const invited = await command.run((headers) => api.POST('/api/v1/users/invitations', { body, headers }));
    if (invited) {
      setOpen(false);
      onInvited({ link: invited.link, expiresAt: invited.expiresAt, who: displayName.trim() || invited.id });
      setDisplayName('');
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    }
  }

  const problem = command.problem;
  return (
    <>
      <button type="button" className="primary" onClick={() => {
        command.reset();
        setOpen(true);
      }}>{t('people.invite')}</button>
      <Dialog open={open} title={t('people.inviteTitle')} onClose={() => setOpen(false)}>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          <ProblemBanner problem={problem?.errors?.length ? null : problem} lostConnection={command.lostConnection} />
          <Field label={t('people.name')} name="displayName" problem={problem}>
            {(props) => <input {...props} value={displayName} maxLength={100} autoComplete="off" onChange={(event) => setDisplayName(event.target.value)} />}
          </Field>
          <Field label={t('people.role')} name="role" problem={problem} required>
            {(props) => (
              <select {...props} value={role} onChange={(event) => setRole(event.target.value as Role)}>
                {ROLES.map((value) => <option key={value} value={value}>{t(`role.${value}`)}</option>)}
              </select>
            )}
          </Field>
          {mayHaveInstitution ? (
            <Field label={t('people.institution')} name="institutionId" problem={problem} required={needsInstitution}>
              {(props) => (
                <select {...props} value={institutionId} onChange={(event) => setInstitutionId(event.target.value)}>
                  <option value="">—</option>
                  {institutions.filter((candidate) => role !== 'dinsos' || candidate.scope === 'city').map((candidate) => (
                    <option key={candidate.id} value={candidate.id}>{candidate.name}</option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
          {role === 'coordinator' ? (
            <Field label={t('people.network')} name="networkId" problem={problem} required>
              {(props) => (
                <select {...props} value={networkId} onChange={(event) => setNetworkId(event.target.value)}>
                  <option value="">—</option>
                  {networks.map((network) => <option key={network.id} value={network.id}>{network.name}</option>)}
                </select>
              )}
            </Field>
          ) : null}
          <Field label={t('people.validFor')} name="expiresInHours" problem={problem} hint={t('people.validForHint')} required>
            {(props) => <input {...props} type="number" inputMode="numeric" min={1} max={336} value={hours} onChange={(event) => setHours(event.target.value)} />}
          </Field>
          <div className="actions">
            <button type="button" onClick={() => setOpen(false)}>{t('app.cancel')}</button>
            <button type="submit" className="primary" disabled={command.pending}>{command.pending ? t('action.sending') : t('people.sendInvite')}</button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

/** A new link for someone who lost theirs (or whose access was revoked: it restores it), and revocation (not of oneself). */
function PersonActions({ person, self, onInvited }: { person: User; self: boolean; onInvited: (invitation: Invitation) => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const who = person.displayName ?? person.userId;
  const changed = () => queryClient.invalidateQueries({ queryKey: ['users'] });
  const reasonField = (problem: Problem | null) => (
    <>
      <p>{t('people.revokeEffect', { who })}</p>
      <Field label={t('action.reason')} name="reason" problem={problem} required>
        {(props) => <textarea {...props} rows={2} maxLength={300} value={reason} onChange={(event) => setReason(event.target.value)} />}
      </Field>
    </>
  );
  return (
    <div className="actions wrap">
      <ActionDialog action={`reinvite:${person.userId}`} label={t(person.status === 'active' ? 'people.newLink' : 'people.restore')} title={t('people.newLinkFor', { who })} onStale={() => undefined}
        send={(headers) => api.POST('/api/v1/users/invitations', {
          body: {
            userId: person.userId, role: person.role, expiresInHours: 24,
            ...(person.institutionId ? { institutionId: person.institutionId } : {}),
            ...(person.networkId ? { networkId: person.networkId } : {}),
            ...(person.displayName ? { displayName: person.displayName } : {}),
          },
          headers,
        })}
        onDone={async (invited) => {
          onInvited({ link: invited.link, expiresAt: invited.expiresAt, who });
          await changed();
        }} />
      {!self && person.status === 'active' ? (
        <ActionDialog action={`revoke:${person.userId}`} label={t('people.revoke')} title={t('people.revokeTitle', { who })} variant="danger" onStale={() => undefined}
          send={(headers) => api.POST('/api/v1/users/{id}/revoke', { params: { path: { id: person.userId } }, body: { reason: reason.trim() }, headers })}
          onDone={async () => {
            setReason('');
            await changed();
          }}
          fields={reasonField} />
      ) : null}
    </div>
  );
}
