/**
 * The auditor's routes: a case's full history, its state at any point, an integrity check
 * and an export, all read from the log itself. Each auditor read is recorded before anything is served.
 */
import { Controller, Get, Inject, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { CurrentActor } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import { caseStreamId } from '../cases/case.events.js';
import { caseListQuerySchema } from '../cases/case.schemas.js';
import { caseView } from '../cases/case.view.js';
import type { Actor } from '../core/actor.js';
import { NotFoundError } from '../core/domain-error.js';
import { UPCASTERS, type Upcasters } from '../core/upcasting.js';
import { EVENT_STORE, STORED_EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { ApiRead } from '../http/api-docs.js';
import { IdParam } from '../http/id-param.js';
import { ValidQuery } from '../http/zod-validation.js';
import { CaseSummariesQuery } from '../projections/case-summaries/case-summaries.query.js';
import { PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import { accessLogEntry } from './access-log.js';
import { AccessRecorder } from './access-recorder.js';
import { accessStreamId, type CaseAuditRoute, type ReadQuery } from './access.events.js';
import {
  accessLogResponseSchema, caseIndexResponseSchema, eventsResponseSchema, exportResponseSchema, stateQuerySchema, stateResponseSchema, streamPageQuerySchema,
  verifyQuerySchema, verifyResponseSchema,
} from './audit.schemas.js';
import { exportStream } from './case-export.js';
import { personalOfCase } from './case-personal.js';
import { caseStateAt, readPage, streamExists } from './case-history.js';
import { verifyIntegrity } from './integrity.js';

type PageQuery = z.infer<typeof streamPageQuerySchema>;

/** The validated query as recorded: each value as text, absent ones left out. */
const asText = (query: Readonly<Record<string, unknown>>): ReadQuery =>
  Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined).map(([name, value]) => [name, String(value)]));

@ApiTags('audit')
@Controller('audit')
@Policy(policies.audit)
export class AuditHttpController {
  constructor(
    /** Events exactly as stored, which the hash chain covers: what auditors read, verify and export. */
    @Inject(STORED_EVENT_STORE) private readonly store: EventStore,
    /** The same log in the current shape (older versions upcast): what the domain's `evolve` folds. */
    @Inject(EVENT_STORE) private readonly current: EventStore,
    @Inject(UPCASTERS) private readonly upcasters: Upcasters,
    private readonly access: AccessRecorder,
    private readonly cipher: PersonalDataCipher,
    private readonly summaries: CaseSummariesQuery,
  ) {}

  /**
   * Where an auditor finds a case: every case, newest first, by id, network, owner, status and dates. It reads
   * no history and shows no personal data, so it is not recorded as a read.
   */
  @Get('cases')
  @ApiRead(caseIndexResponseSchema, {
    summary: 'Find a case to audit',
    description: 'Every case, newest first, by id, network, owner, status, escalation and dates, paged; filtered like `GET /cases`. It holds no personal data and reads no history, so it is not recorded as a read.',
  })
  async cases(@ValidQuery(caseListQuerySchema) query: z.infer<typeof caseListQuerySchema>) {
    const { cursor, limit, ...filters } = query;
    const page = await this.summaries.caseIndex(filters, { cursor: cursor ?? null, limit });
    return {
      items: page.items.map(({ _id, networkId, ownerInstitutionId, status, escalated, revision, openedAt, state }) => ({
        id: _id, networkId, ownerInstitutionId, status, escalated, referrals: state.referrals.length, revision, openedAt,
        closedAt: state.status === 'closed' ? state.closedAt : null,
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Get('cases/:id/events')
  @ApiRead(eventsResponseSchema, {
    summary: 'Read a case\'s events',
    description: 'The case\'s stream exactly as stored, oldest first, with each event\'s metadata (actor, command, correlation and causation ids, hash) and its personal part opened (`{ erased: true }` once the subject\'s data is erased). Pages by revision.',
  })
  async events(@IdParam('id', 'case') caseId: string, @ValidQuery(streamPageQuerySchema) query: PageQuery, @CurrentActor() actor: Actor) {
    await this.readCase(actor, caseId, 'events', query);
    const page = await readPage(this.store, caseStreamId(caseId), query);
    const personalOf = await personalOfCase(this.store, this.cipher, actor, caseId);
    return {
      items: await Promise.all(page.events.map(async (event) => {
        const { revision, position, type, data, metadata } = event;
        return { revision: revision.toString(), position: position.toString(), type, data, metadata, ...(await personalOf(event)) };
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Before the case's first event, or past its last revision, there is no state: 404. */
  @Get('cases/:id/state')
  @ApiRead(stateResponseSchema, {
    summary: 'Read a case as it was',
    description: 'The case folded from its events up to a moment (`asOf`) or a revision (`revision`): give exactly one. Same shape as `GET /cases/{id}`. 404 before the case\'s first event or past its last revision.',
  })
  async state(@IdParam('id', 'case') caseId: string, @ValidQuery(stateQuerySchema) query: z.infer<typeof stateQuerySchema>, @CurrentActor() actor: Actor) {
    await this.readCase(actor, caseId, 'state', query);
    const { state, revision } = await caseStateAt(this.current, caseId, query.asOf !== undefined ? { asOf: query.asOf } : { revision: query.revision! });
    const personal = await this.cipher.open(actor, state.subject.id, state.subject.personal);
    return { ...(query.asOf !== undefined ? { asOf: query.asOf } : {}), revision: revision.toString(), state: caseView(state, revision, personal) };
  }

  /** Streamed as it is read, so a long history never sits whole in memory. */
  @Get('cases/:id/export')
  @ApiRead(exportResponseSchema, {
    summary: 'Export a case\'s stream',
    description: 'The case\'s stream as NDJSON, one event a line exactly as stored (it re-imports into the same stream with the same hashes), streamed as it is read.',
    mediaType: 'application/x-ndjson',
  })
  async export(@IdParam('id', 'case') caseId: string, @CurrentActor() actor: Actor): Promise<StreamableFile> {
    await this.readCase(actor, caseId, 'export', {});
    const personalOf = await personalOfCase(this.store, this.cipher, actor, caseId);
    const lines = Readable.from(exportStream(this.store, caseStreamId(caseId), this.upcasters, personalOf), { objectMode: false });
    return new StreamableFile(lines, { type: 'application/x-ndjson', disposition: `attachment; filename="case-${caseId}.ndjson"` });
  }

  /** Who read the case's history, when, and how: for auditors and for dinsos (the data subject's access report). */
  @Get('cases/:id/access-log')
  @Policy(policies.readAccessLog)
  @ApiRead(accessLogResponseSchema, {
    summary: 'Read a case\'s access log',
    description: 'Every auditor read of the case\'s history: who, when, which route and query, oldest first.',
  })
  async accessLog(@IdParam('id', 'case') caseId: string, @ValidQuery(streamPageQuerySchema) query: PageQuery, @CurrentActor() actor: Actor) {
    await this.readCase(actor, caseId, 'access-log', query);
    const page = await readPage(this.store, accessStreamId(caseId), query);
    return { items: page.events.map(accessLogEntry), nextCursor: page.nextCursor };
  }

  /** The whole log, or one stream; recorded in the log's own access stream, as it reads no one case. */
  @Get('verify')
  @ApiRead(verifyResponseSchema, {
    summary: 'Verify the hash chains',
    description: 'Recomputes the SHA-256 chain of one stream (`stream`, e.g. `case-<id>`; 404 when it does not exist) or of the whole log, and reports how many events were checked and the first that breaks the chain, with the reason.',
    problems: [404],
  })
  async verify(@ValidQuery(verifyQuerySchema) query: z.infer<typeof verifyQuerySchema>, @CurrentActor() actor: Actor) {
    // A stream that does not exist is not read: nothing to record, so the refused request appends nothing.
    if (query.stream !== undefined && !(await streamExists(this.store, query.stream))) throw new NotFoundError(`No stream named ${query.stream}`);
    await this.access.record(actor, { type: 'RecordIntegrityCheck', stream: query.stream ?? null });
    return verifyIntegrity(this.store, query.stream === undefined ? {} : { stream: query.stream });
  }

  /** A case that exists (404 otherwise), and the read recorded when an auditor makes it. */
  private async readCase(actor: Actor, caseId: string, route: CaseAuditRoute, query: Readonly<Record<string, unknown>>): Promise<void> {
    if (!(await streamExists(this.store, caseStreamId(caseId)))) throw new NotFoundError(`No case with id ${caseId}`);
    if (actor.role === 'auditor') await this.access.record(actor, { type: 'RecordCaseRead', caseId, route, query: asText(query) });
  }
}
