/**
 * A data subject's access report (UU 27/2022): what is held about them — their cases and which
 * personal fields each holds, by name, never by value — every recorded read of those cases' histories, and
 * the erasure if there was one. The cases come from the case view, everything else from the log.
 */
import { Inject, Injectable } from '@nestjs/common';
import { readAccessLog } from '../audit/access-log.js';
import { caseStreamId } from '../cases/case.events.js';
import type { Actor } from '../core/actor.js';
import { NotFoundError } from '../core/domain-error.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import type { CaseDocument } from '../projections/case-summaries/case-summaries.projection.js';
import { CaseSummariesQuery } from '../projections/case-summaries/case-summaries.query.js';
import { PersonalDataCipher } from './personal-data.cipher.js';
import { subjectStreamId, type SubjectEvent } from './subject.events.js';
import { SubjectKeyStore } from './subject-key.store.js';

/** Dotted paths of the values an object holds. */
function fieldPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => (inner === undefined ? [] : fieldPaths(inner, prefix === '' ? key : `${prefix}.${key}`)));
}

@Injectable()
export class AccessReportQuery {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly cases: CaseSummariesQuery,
    private readonly cipher: PersonalDataCipher,
    private readonly keys: SubjectKeyStore,
  ) {}

  async report(actor: Actor, subjectId: string) {
    const [documents, erasure] = await Promise.all([this.cases.subjectCases(subjectId), this.erasure(subjectId)]);
    if (documents.length === 0 && erasure === null && (await this.keys.find(subjectId)).status === 'unknown') {
      throw new NotFoundError(`No subject with id ${subjectId}`);
    }
    const logs = await Promise.all(documents.map(async ({ _id }) => (await readAccessLog(this.events, _id)).map((entry) => ({ caseId: _id, ...entry }))));
    return {
      subjectId,
      erased: erasure !== null,
      erasure,
      cases: await Promise.all(documents.map((document) => this.held(actor, document))),
      reads: logs.flat().sort((one, other) => one.at.localeCompare(other.at)),
    };
  }

  /** One case: what it is, and the personal fields its events hold. */
  private async held(actor: Actor, { _id, state }: CaseDocument) {
    const fields = new Set<string>();
    let erased = false;
    for await (const event of this.events.readStream(caseStreamId(_id))) {
      const opened = await this.cipher.openEvent(actor, state.subject.id, event);
      if (opened?.erased) erased = true;
      else if (opened) for (const path of fieldPaths(opened.value)) fields.add(`${event.type}.${path}`);
    }
    return {
      id: _id, networkId: state.networkId, ownerInstitutionId: state.ownerInstitutionId, status: state.status, openedAt: state.openedAt,
      ...(state.status === 'closed' ? { closedAt: state.closedAt } : {}),
      erased,
      personalFields: erased ? [] : [...fields].sort(),
    };
  }

  private async erasure(subjectId: string) {
    for await (const { data, metadata } of this.events.readStream(subjectStreamId(subjectId), { maxCount: 1 })) {
      const { erasedAt, reason } = data as SubjectEvent['data'];
      const { userId, role } = metadata['actor'] as Actor;
      return { at: erasedAt, by: { userId, role }, reason };
    }
    return null;
  }
}
