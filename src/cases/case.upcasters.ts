/**
 * The upcasters of case events (src/core/upcasting.ts says how upcasting works). Versions:
 * - 0, the pre-release shape of the pilot (Kota Magelang's trial log, written before 0.1):
 *   - `CaseOpened` had a single PPKS code, `category`; 1 has `categories[]` (a case carries one or more).
 *   - `ReferralDeclined` had only the free-text reason; 1 adds `reasonCode`, and a version-0 decline
 *     reads as `other` (its text is still in `personal.reason`).
 *   Every other event type already had its version-1 shape.
 * - 1, CURRENT_SCHEMA_VERSION: what every command writes today.
 */
import type { Upcasters } from '../core/upcasting.js';
import type { CaseEvent } from './case.events.js';

type CaseEventData<Type extends CaseEvent['type']> = Extract<CaseEvent, { type: Type }>['data'];

export type CaseOpenedV0 = Omit<CaseEventData<'CaseOpened'>, 'categories'> & { readonly category: string };
export type ReferralDeclinedV0 = Omit<CaseEventData<'ReferralDeclined'>, 'reasonCode'>;

export const CASE_UPCASTERS: Upcasters = {
  CaseOpened: {
    0: ({ category, ...rest }: CaseOpenedV0): CaseEventData<'CaseOpened'> => ({ ...rest, categories: [category] }),
  },
  ReferralDeclined: {
    0: (data: ReferralDeclinedV0): CaseEventData<'ReferralDeclined'> => ({ ...data, reasonCode: 'other' }),
  },
};
