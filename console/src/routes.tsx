/**
 * Every screen of the console, who sees it and where it sits in the menu. A role's first menu entry is its
 * home. Screens load on demand (each is its own chunk), so the first screen stays small.
 */
import { lazy, type ComponentType } from 'react';
import type { Role, Session } from './api/types';
import type { MessageKey } from './i18n';

export interface ScreenRoute {
  readonly path: string;
  readonly page: ComponentType;
  readonly roles: readonly Role[];
  /** Shown in the menu under this label; screens reached from others (a case page) have none. */
  readonly menu?: MessageKey;
  /** Only for people of an institution (an inbox needs one). */
  readonly needsInstitution?: boolean;
}

const CASE_ROLES: readonly Role[] = ['caseworker', 'coordinator', 'dinsos'];

export const ROUTES: readonly ScreenRoute[] = [
  { path: '/escalations', page: lazy(() => import('./pages/cases').then((module) => ({ default: module.EscalationsPage }))), roles: ['dinsos'], menu: 'nav.escalations' },
  { path: '/board', page: lazy(() => import('./pages/board')), roles: ['coordinator'], menu: 'nav.board' },
  { path: '/inbox', page: lazy(() => import('./pages/referral-box').then((module) => ({ default: module.InboxPage }))), roles: CASE_ROLES, menu: 'nav.inbox', needsInstitution: true },
  { path: '/outbox', page: lazy(() => import('./pages/referral-box').then((module) => ({ default: module.OutboxPage }))), roles: CASE_ROLES, menu: 'nav.outbox', needsInstitution: true },
  { path: '/cases', page: lazy(() => import('./pages/cases')), roles: CASE_ROLES, menu: 'nav.cases' },
  { path: '/cases/new', page: lazy(() => import('./pages/open-case')), roles: ['caseworker', 'coordinator'], menu: 'nav.openCase' },
  { path: '/cases/:id', page: lazy(() => import('./pages/case')), roles: CASE_ROLES },
  { path: '/audit', page: lazy(() => import('./pages/audit')), roles: ['auditor'], menu: 'nav.audit' },
  { path: '/audit/cases/:id', page: lazy(() => import('./pages/audit').then((module) => ({ default: module.AuditCasePage }))), roles: ['auditor'] },
  { path: '/integrity', page: lazy(() => import('./pages/audit').then((module) => ({ default: module.IntegrityPage }))), roles: ['auditor'], menu: 'nav.integrity' },
  { path: '/analytics', page: lazy(() => import('./pages/analytics')), roles: ['analyst', 'dinsos'], menu: 'nav.analytics' },
  { path: '/users', page: lazy(() => import('./pages/people')), roles: ['admin', 'auditor'], menu: 'nav.users' },
  { path: '/providers', page: lazy(() => import('./pages/providers')), roles: ['dinsos'], menu: 'nav.providers' },
  { path: '/providers', page: lazy(() => import('./pages/providers')), roles: ['admin'], menu: 'nav.institutions' },
  { path: '/subjects', page: lazy(() => import('./pages/subjects')), roles: ['dinsos'], menu: 'nav.subjects' },
  { path: '/subjects/:id', page: lazy(() => import('./pages/subjects').then((module) => ({ default: module.SubjectPage }))), roles: ['dinsos'] },
];

/** The menu of a session: its role's screens, without the institution's boxes for someone of no institution. */
export function menuOf(session: Session): ScreenRoute[] {
  return ROUTES.filter((route) => route.menu && route.roles.includes(session.role) && (!route.needsInstitution || session.institutionId !== null));
}

export function homeOf(session: Session): string {
  return menuOf(session)[0]?.path ?? '/';
}
