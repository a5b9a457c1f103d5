/**
 * Recording a read: no rule depends on earlier reads, so there is no state to fold; the decider exists so
 * reads travel the one command path (metadata, hash chain, idempotent event ids) like every other event.
 */
import type { Decider } from '../core/decider.js';
import { assertNever } from '../core/decider.js';
import type { AccessEvent, CaseAuditRoute, ReadQuery } from './access.events.js';

export type AccessCommand =
  | { readonly type: 'RecordCaseRead'; readonly caseId: string; readonly route: CaseAuditRoute; readonly query: ReadQuery }
  | { readonly type: 'RecordIntegrityCheck'; readonly stream: string | null };

function decide(command: AccessCommand): AccessEvent[] {
  switch (command.type) {
    case 'RecordCaseRead':
      return [{ type: 'CaseHistoryRead', data: { caseId: command.caseId, route: command.route, query: command.query } }];
    case 'RecordIntegrityCheck':
      return [{ type: 'IntegrityCheckRequested', data: { stream: command.stream } }];
    default:
      return assertNever(command);
  }
}

export const accessDecider: Decider<AccessCommand, AccessEvent, null> = {
  initialState: null,
  decide,
  evolve: (state) => state,
};
