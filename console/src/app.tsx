/**
 * The console: signs the person in (or finds their session), then shows the screens of their role. State
 * that comes from the API lives in TanStack Query's cache; every read after an action waits for the views
 * to hold it (X-Min-Position, see api/client.ts).
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { api, onSignedOut, ProblemError, setCsrfToken } from './api/client';
import type { Session } from './api/types';
import { Layout } from './components/layout';
import { Loading } from './components/ui';
import { I18n, initialLanguage, rememberLanguage, translator, useI18n, type Language } from './i18n';
import { homeOf, ROUTES } from './routes';
import { SessionContext } from './session';
import { SignInPage } from './pages/sign-in';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refused read (403, 404) will not change by asking again; a lost connection or a 503 may.
      retry: (failures, error) => failures < 3 && !(error instanceof ProblemError && error.problem.status >= 400 && error.problem.status < 500),
      refetchOnWindowFocus: true,
    },
  },
});

type SessionState = { readonly status: 'loading' } | { readonly status: 'signed-out'; readonly reason: 'expired' | 'signed-out' | null } | { readonly status: 'signed-in'; readonly session: Session };

export function App() {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const setLanguage = useCallback((next: Language) => {
    rememberLanguage(next);
    setLanguageState(next);
  }, []);
  useEffect(() => rememberLanguage(language), [language]);
  const i18n = useMemo(() => ({ language, t: translator(language), setLanguage }), [language, setLanguage]);
  return (
    <I18n.Provider value={i18n}>
      <QueryClientProvider client={queryClient}>
        <Console />
      </QueryClientProvider>
    </I18n.Provider>
  );
}

function Console() {
  const [location, navigate] = useLocation();
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', session });
  }, []);

  useEffect(() => {
    if (location === '/sign-in') {
      setState((current) => (current.status === 'loading' ? { status: 'signed-out', reason: null } : current));
      return;
    }
    let cancelled = false;
    void api.GET('/api/v1/auth/session').then(({ data }) => {
      if (cancelled) return;
      if (data) signedIn(data);
      else setState({ status: 'signed-out', reason: null });
    }, () => !cancelled && setState({ status: 'signed-out', reason: null }));
    return () => {
      cancelled = true;
    };
    // Only on the first load: afterwards the session changes by signing in or out.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => onSignedOut(() => {
    setCsrfToken(null);
    queryClient.clear();
    setState({ status: 'signed-out', reason: 'expired' });
  }), []);

  const signOut = useCallback(async () => {
    await api.POST('/api/v1/auth/sign-out', { body: {} }).catch(() => undefined);
    setCsrfToken(null);
    queryClient.clear();
    setState({ status: 'signed-out', reason: 'signed-out' });
    navigate('/sign-in');
  }, [navigate]);

  if (state.status === 'loading') return <main className="center"><Loading /></main>;
  if (state.status === 'signed-out') {
    return <SignInPage reason={state.reason} onSignedIn={(session) => {
      signedIn(session);
      navigate(homeOf(session), { replace: true });
    }} />;
  }
  const { session } = state;
  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <Layout>
        <Switch>
          <Route path="/sign-in"><Redirect to={homeOf(session)} replace /></Route>
          <Route path="/"><Redirect to={homeOf(session)} replace /></Route>
          {ROUTES.filter((route) => route.roles.includes(session.role)).map(({ path, page: Page }) => (
            <Route key={path} path={path} component={Page} />
          ))}
          <Route><NotFound /></Route>
        </Switch>
      </Layout>
    </SessionContext.Provider>
  );
}

function NotFound() {
  const { t } = useI18n();
  return <p className="banner" role="status">{t('app.notFound')}</p>;
}
