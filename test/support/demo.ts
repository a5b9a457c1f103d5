/** Ids of the seeded demo network (src/seed/demo-network.data.ts) that the end-to-end specs act as. */
import { CITY_PROVIDERS, DEMO_MEMBERS, DEMO_NETWORK } from '../../src/seed/demo-network.data.js';

const member = (kind: string) => DEMO_MEMBERS.find((institution) => institution.kind === kind)!.id;
const cityProvider = (kind: string) => CITY_PROVIDERS.find((institution) => institution.kind === kind)!.id;

export const NETWORK = DEMO_NETWORK.id;
/** The RW: owns the cases the specs open. */
export const OWNER = member('rw');
export const PUSKESOS = member('puskesos');
export const POSYANDU = member('posyandu');
export const PUSKESMAS = cityProvider('puskesmas');
/** Receives escalations. */
export const DINSOS = cityProvider('dinsos');
export const RSUD = cityProvider('rsud');
