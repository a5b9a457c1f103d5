/** The frame of every screen: a skip link, the header with who is signed in, the role's menu, the language switch. */
import { Suspense, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useInstitutionName, useNetworks } from '../api/directory';
import { useI18n } from '../i18n';
import { menuOf } from '../routes';
import { useSession } from '../session';
import { Loading } from './ui';

export function Layout({ children }: { children: ReactNode }) {
  const { t, language, setLanguage } = useI18n();
  const { session, signOut } = useSession();
  const institutionName = useInstitutionName();
  const networks = useNetworks();
  const [location] = useLocation();
  const menu = menuOf(session);
  const who = session.displayName ?? session.userId;
  const networkName = session.networkId ? networks.data?.find((network) => network.id === session.networkId)?.name ?? session.networkId : null;
  const where = session.institutionId ? institutionName(session.institutionId) : networkName;
  return (
    <div className="shell">
      <a className="skip" href="#main">{t('app.skip')}</a>
      <header className="top">
        <Link href="/" className="brand" aria-label={`${t('app.name')}: ${t('app.tagline')}`}>
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>{t('app.name')}</span>
        </Link>
        <div className="who">
          <span className="sr-only">{t('app.signedInAs')} </span>
          <strong>{who}</strong>
          <span className="muted">{t(`role.${session.role}`)}{where ? ` · ${where}` : ''}</span>
        </div>
        <div className="top-actions">
          <button type="button" className="ghost" lang={language === 'id' ? 'en' : 'id'} onClick={() => setLanguage(language === 'id' ? 'en' : 'id')}>
            {t('app.switchLanguage')}
          </button>
          <button type="button" className="ghost" onClick={() => void signOut()}>{t('app.signOut')}</button>
        </div>
      </header>
      <nav className="menu" aria-label={t('app.menu')}>
        <ul>
          {menu.map((route) => {
            const current = location === route.path || (route.path !== '/' && location.startsWith(`${route.path}/`) && !menu.some((other) => other.path !== route.path && location.startsWith(other.path) && other.path.length > route.path.length));
            return (
              <li key={route.path}>
                <Link href={route.path} aria-current={current ? 'page' : undefined}>{t(route.menu!)}</Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>{children}</Suspense>
      </main>
    </div>
  );
}
