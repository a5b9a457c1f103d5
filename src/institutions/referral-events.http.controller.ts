/**
 * `GET /institutions/:id/referral-events`: a server-sent event stream of the referrals to and from an
 * institution, for the same callers as its inbox and outbox. An open console refreshes its lists from it.
 * Each event holds ids, status, urgency and times, nothing personal; the stream ends when the caller's token
 * or session does (a `session-ended` event first), and within 30 s of a sign-out or a revocation. When the
 * server stops, streams end without that event: EventSource reconnects by itself.
 */
import { Controller, Inject, MessageEvent, Req, Sse } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { Policy } from '../auth/access-policy.js';
import { credentialsExpireInMs } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import { ApiRead } from '../http/api-docs.js';
import { IdParam } from '../http/id-param.js';
import { ReferralFeed } from '../projections/referral-feed/referral-feed.js';
import { CurrentSession, Sessions, type SessionActor } from '../users/sessions.js';
import { referralEventSchema } from '../cases/case.responses.js';

/** How often a console session behind a stream is checked again (sign-out, revocation). */
const SESSION_CHECK_MS = 30_000;

@ApiTags('institutions')
@Controller('institutions')
export class ReferralEventsHttpController {
  constructor(private readonly feed: ReferralFeed, @Inject(Sessions) private readonly sessions: Sessions) {}

  @Sse(':id/referral-events')
  @Policy(policies.readReferralBox)
  @ApiRead(referralEventSchema, {
    summary: 'Follow an institution\'s referrals live',
    description: 'A server-sent event stream (`text/event-stream`) of the referrals to and from the institution: `ready` once subscribed, then a `referral` event (its `id` the log position) whenever one changes, with ids, status, urgency and times, nothing personal. The stream ends when the caller\'s token or console session does, with a `session-ended` event first, and within 30 s of a sign-out or a revocation.',
    mediaType: 'text/event-stream',
  })
  events(@IdParam('id', 'institution') institutionId: string, @CurrentSession() session: SessionActor | null, @Req() request: FastifyRequest): Observable<MessageEvent> {
    const validForMs = credentialsExpireInMs(request);
    return new Observable<MessageEvent>((subscriber) => {
      let unsubscribe: (() => void) | null = null;
      let closed = false;
      const end = () => {
        if (closed) return;
        subscriber.next({ type: 'session-ended', data: { reason: 'Sign in again to keep receiving updates' } });
        subscriber.complete();
      };
      // The server is stopping: end the stream without a word, and the browser reconnects (to another replica, or to this one restarted).
      const forget = this.feed.endOnShutdown(() => subscriber.complete());
      void this.feed.subscribe(institutionId, (change) => {
        subscriber.next({ type: 'referral', id: change.position, data: { ...change, box: change.toInstitutionId === institutionId ? 'inbox' : 'outbox' } });
      }).then((stop) => {
        if (closed) stop();
        else unsubscribe = stop;
        subscriber.next({ type: 'ready', data: { institutionId } });
      }, (error: unknown) => subscriber.error(error));
      const expiry = setTimeout(end, Math.max(0, Math.min(validForMs, 2 ** 31 - 1)));
      const check = session === null ? null : setInterval(() => {
        void this.sessions.isLive(session).then((live) => live || end(), () => undefined);
      }, SESSION_CHECK_MS);
      return () => {
        closed = true;
        forget();
        unsubscribe?.();
        clearTimeout(expiry);
        if (check) clearInterval(check);
      };
    });
  }
}
