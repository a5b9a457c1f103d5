/**
 * Sign-in. An invitation link opens `/sign-in#code=…`: the code is sent once to the API, which answers with
 * the session (and sets its cookie); the code then leaves the address bar and the history. Without a code
 * the page says how to get one.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, isProblem } from '../api/client';
import type { Session } from '../api/types';
import { known, useI18n } from '../i18n';
import { serverWords } from '../server-words';

/** Where to come back to after the provider: the page the person was on, unless it was the sign-in page itself. */
function returnTo(): string {
  return location.pathname === '/sign-in' ? '/' : `${location.pathname}${location.search}`;
}

type Reason = 'expired' | 'signed-out' | null;

export function SignInPage({ reason, onSignedIn }: { reason: Reason; onSignedIn: (session: Session) => void }) {
  const { t, language, setLanguage } = useI18n();
  const [code] = useState(() => new URLSearchParams(location.hash.slice(1)).get('code'));
  const [failure, setFailure] = useState<string | null>(null);
  // A sign-in at the identity provider that went wrong comes back as /sign-in?error=<reason>.
  const [providerError] = useState(() => new URLSearchParams(location.search).get('error'));
  const methods = useQuery({ queryKey: ['sign-in-methods'], queryFn: async () => (await api.GET('/api/v1/auth/methods')).data ?? { invitation: true, oidc: false } });
  const started = useRef(false);

  useEffect(() => {
    if (!code || started.current) return;
    started.current = true;
    // The code is single-use: out of the address bar before anything else, so a reload or a shared screen cannot reuse it.
    history.replaceState(null, '', '/sign-in');
    void api.POST('/api/v1/auth/sign-in', { body: { code } }).then(({ data, error }) => {
      if (data) onSignedIn(data);
      else setFailure(isProblem(error) ? serverWords(error.detail ?? t('signIn.failed'), language) : t('signIn.failed'));
    }, () => setFailure(t('action.retrySafe')));
  }, [code, onSignedIn, t, language]);

  return (
    <div className="sign-in">
      <main id="main" className="card narrow">
        <div className="brand large">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <h1>{t('signIn.title')}</h1>
        </div>
        <p className="muted">{t('app.tagline')}</p>
        {reason === 'expired' ? <p className="banner warning" role="status">{t('signIn.expired')}</p> : null}
        {reason === 'signed-out' ? <p className="banner" role="status">{t('signIn.signedOut')}</p> : null}
        {code && !failure ? <p role="status">{t('signIn.working')}</p> : null}
        {failure ? (
          <div className="banner error" role="alert">
            <strong>{t('signIn.failed')}</strong>
            <p>{failure}</p>
          </div>
        ) : null}
        {providerError ? (
          <div className="banner error" role="alert">
            <strong>{t('signIn.failed')}</strong>
            <p>{known(t, 'signIn.error', providerError)}</p>
          </div>
        ) : null}
        {methods.data?.oidc ? (
          <p><a className="button" href={`/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo())}`}>{t('signIn.oidc')}</a></p>
        ) : null}
        {!code || failure ? (
          <>
            <p>{t('signIn.noCode')}</p>
            <p className="muted">{t('signIn.askAdmin')}</p>
          </>
        ) : null}
        <p>
          <button type="button" className="ghost" lang={language === 'id' ? 'en' : 'id'} onClick={() => setLanguage(language === 'id' ? 'en' : 'id')}>
            {t('app.switchLanguage')}
          </button>
        </p>
      </main>
    </div>
  );
}
