/**
 * Property tests for the read side: for every valid history
 *  A. the views the runners write, batch by batch, equal each projection's own view definitions folded over
 *     the whole log in one pass (`foldViews`, view-projection.ts), and hold no other documents;
 *  B. following the log live while it is written, stopping the runners anywhere, crashing inside a batch
 *     (some writes applied, no checkpoint), restarting, and replaying from an earlier checkpoint leave the
 *     views exactly as one clean run leaves them, and no subscription open behind.
 *  A also runs against a MongoDB-protocol server when one is reachable (MONGODB_URL), fewer times;
 *  and every event's `personal` field is stored sealed, and no view holds any of its plaintext values (the
 *  case view keeps them sealed; the analytics and timeline views leave them out).
 * Histories come from random commands through the real command paths (the case path sealing personal data)
 * on the seeded directory; commands the deciders refuse are skipped, so the log only ever holds valid histories.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { quietNestLogger } from '../../test/support/projection-stores.js';
import fc from 'fast-check';
import { describeWithServer, mongoForSpecs } from '../../test/support/servers.js';
import { DECLINE_REASON_CODES, OUTCOMES, URGENCIES, caseStreamId } from '../cases/case.events.js';
import { caseDecider, type CaseCommand } from '../cases/case.decider.js';
import { DEFAULT_SLA_HOURS } from '../config/config.js';
import type { CaseState, Referral, ReferralStatus } from '../cases/case.state.js';
import { CaseCommands } from '../cases/commands/case.commands.js';
import type { Actor } from '../core/actor.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/domain-error.js';
import { matchesFilter, type EventStore, type RecordedEvent } from '../event-store/event-store.port.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { institutionDecider, type InstitutionCommand } from '../institutions/institution.decider.js';
import { institutionStreamId, type InstitutionEvent } from '../institutions/institution.events.js';
import type { InstitutionState } from '../institutions/institution.state.js';
import { networkDecider, type NetworkCommand } from '../networks/network.decider.js';
import { networkStreamId, type NetworkEvent } from '../networks/network.events.js';
import type { NetworkState } from '../networks/network.state.js';
import { PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import { isSealedPersonal } from '../privacy/personal-data.crypto.js';
import { SubjectKeyStore } from '../privacy/subject-key.store.js';
import { MongoReadStore } from '../read-store/mongodb/mongodb-read-store.js';
import type { BulkWriteResult, CollectionWrites, Document, ReadCollection, ReadStore, WriteOperation } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { CITY_PROVIDERS, DEMO_COORDINATOR, DEMO_MEMBERS, DEMO_NETWORK, type SeedInstitution } from '../seed/demo-network.data.js';
import { CASES } from './case-summaries/case-summaries.projection.js';
import type { Projection } from './projection.js';
import { CHECKPOINTS, ProjectionRunner } from './projection-runner.js';
import { PROJECTIONS } from './projections.service.js';
import { foldViews } from './view-projection.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 50);
/** Replays a reported failure: FC_SEED=<seed> FC_PATH=<path> npx jest src/projections/projections.property.int.spec.ts */
const SEED = process.env['FC_SEED'] === undefined ? {} : { seed: Number(process.env['FC_SEED']), path: process.env['FC_PATH'] };
/** Runs of A against a MongoDB-protocol server: each writes every view over the wire, so far fewer. */
const MONGO_NUM_RUNS = Number(process.env['FC_MONGO_NUM_RUNS'] ?? 8);
/**
 * Each property stops before jest's timeout (PROPERTY_TIMEOUT_MS), so a long shrink still reports its
 * counterexample so far and its seed, instead of a bare timeout; a property that slow fails. B takes about
 * 95 s alone on the 2-core development machine and longer beside the rest of the suite: the limit leaves room.
 */
const PROPERTY_TIMEOUT_MS = 240_000;
const timeLimit = () => ({ plugins: [fc.interruptAfterTimeLimit(PROPERTY_TIMEOUT_MS - 20_000, { failOnInterrupt: true })] });
/** Every projection the application runs, and so every collection they write. */
const VIEW_COLLECTIONS = PROJECTIONS.flatMap((projection) => Object.keys(projection.collections));

// ---------------------------------------------------------------------------------------------------
// The world: the seeded demo network plus a second network sharing one member, so an institution can
// belong to two networks and membership changes show up in both directory collections.

const SECOND_NETWORK = { id: 'wksbm-test-kedua', name: 'WKSBM Kedua', regionCode: '33.71.01.1009' } as const;
const SECOND_COORDINATOR = 'coordinator-kedua';
const SECOND_MEMBERS: readonly SeedInstitution[] = [
  { id: 'lks-harapan', name: 'LKS Harapan', kind: 'lks', regionCode: SECOND_NETWORK.regionCode, scope: 'network', categoriesServed: ['PPKS-01'], capacity: 5 },
  { id: 'rt-01-kedua', name: 'RT 01 Kedua', kind: 'rt', regionCode: SECOND_NETWORK.regionCode, scope: 'network', categoriesServed: [], capacity: null },
];
const SHARED_MEMBER = DEMO_MEMBERS[0]!.id;
const ALL_INSTITUTIONS = [...CITY_PROVIDERS, ...DEMO_MEMBERS, ...SECOND_MEMBERS];
const INSTITUTION_IDS = ALL_INSTITUTIONS.map((institution) => institution.id);
const NETWORK_IDS = [DEMO_NETWORK.id, SECOND_NETWORK.id];
const COORDINATORS: Readonly<Record<string, string>> = { [DEMO_NETWORK.id]: DEMO_COORDINATOR, [SECOND_NETWORK.id]: SECOND_COORDINATOR };
const CASE_IDS = ['c0', 'c1', 'c2'];
const CATEGORIES = ['PPKS-01', 'PPKS-05', 'PPKS-09', 'PPKS-24'];
const START = Date.parse('2025-01-06T01:00:00.000Z');
const ADMIN: Actor = { userId: 'seed', role: 'admin' };

const pick = <T>(items: readonly T[], index: number): T => items[index % items.length]!;

function context(commandId: string, actor: Actor, at: number): CommandContext {
  return {
    commandId, requestHash: commandId, actor, occurredAt: new Date(at).toISOString(),
    correlationId: commandId, causationId: commandId, expectedRevision: null,
  };
}

/** The subjects' data keys, in a store of their own: the views under test hold none. */
const keyViews = new SqliteReadStore(':memory:');
const MASTER_KEY = randomBytes(32);
afterAll(() => keyViews.close());
const AUDITOR: Actor = { userId: 'auditor', role: 'auditor' };

class System {
  readonly handling: CommandHandling;
  readonly cipher = new PersonalDataCipher(new SubjectKeyStore(keyViews, { masterKey: MASTER_KEY }));
  private readonly cases: CaseCommands;
  now = START;

  constructor(readonly events: EventStore) {
    this.handling = new CommandHandling(events);
    this.cases = new CaseCommands(this.handling, this.cipher, { slaHours: DEFAULT_SLA_HOURS });
  }

  /** Runs one institution or network command; a refusal by the decider is the expected way to skip an invalid one. */
  run<Command, Event extends InstitutionEvent | NetworkEvent, State>(
    decider: Decider<Command, Event, State>, streamId: string, commandId: string, actor: Actor, command: (at: string) => Command,
  ): Promise<boolean> {
    return this.attempt(commandId, actor, (at, commandContext) => this.handling.run(decider, streamId, () => command(at), commandContext));
  }

  /** Runs one case command through the case path, which seals personal data. */
  runCase(caseId: string, commandId: string, actor: Actor, command: (at: string) => CaseCommand): Promise<boolean> {
    return this.attempt(commandId, actor, (at, commandContext) => this.handling.run(caseDecider, caseStreamId(caseId), () => command(at), commandContext, this.cases.beforeAppend));
  }

  private async attempt(commandId: string, actor: Actor, execute: (at: string, commandContext: CommandContext) => Promise<unknown>): Promise<boolean> {
    try {
      await execute(new Date(this.now).toISOString(), context(commandId, actor, this.now));
      return true;
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
  }

  institution(id: string): Promise<InstitutionState> {
    return this.handling.load(institutionDecider, institutionStreamId(id)).then((loaded) => loaded.state);
  }

  network(id: string): Promise<NetworkState> {
    return this.handling.load(networkDecider, networkStreamId(id)).then((loaded) => loaded.state);
  }

  caseState(id: string): Promise<CaseState> {
    return this.handling.load(caseDecider, caseStreamId(id)).then((loaded) => loaded.state);
  }

  async seed(): Promise<void> {
    for (const { id, ...institution } of ALL_INSTITUTIONS) {
      await this.mustRun(institutionDecider, institutionStreamId(id), `seed-${id}`, ADMIN, (at): InstitutionCommand =>
        ({ type: 'RegisterInstitution', institutionId: id, actor: ADMIN, at, ...institution }));
    }
    const networks = [
      { network: DEMO_NETWORK, members: DEMO_MEMBERS.map((member) => member.id), coordinator: DEMO_COORDINATOR },
      { network: SECOND_NETWORK, members: [...SECOND_MEMBERS.map((member) => member.id), SHARED_MEMBER], coordinator: SECOND_COORDINATOR },
    ];
    for (const { network, members, coordinator } of networks) {
      const stream = networkStreamId(network.id);
      const base = { networkId: network.id, actor: ADMIN };
      await this.mustRun(networkDecider, stream, `seed-${network.id}`, ADMIN, (at): NetworkCommand =>
        ({ ...base, at, type: 'RegisterNetwork', name: network.name, regionCode: network.regionCode }));
      for (const member of members) {
        const institution = await this.institution(member);
        await this.mustRun(networkDecider, stream, `seed-${network.id}-${member}`, ADMIN, (at): NetworkCommand =>
          ({ ...base, at, type: 'AddMember', institutionId: member, institution }));
      }
      await this.mustRun(networkDecider, stream, `seed-${network.id}-coordinator`, ADMIN, (at): NetworkCommand =>
        ({ ...base, at, type: 'AssignCoordinator', userId: coordinator }));
    }
  }

  private async mustRun<Command, Event extends InstitutionEvent | NetworkEvent, State>(
    decider: Decider<Command, Event, State>, streamId: string, commandId: string, actor: Actor, command: (at: string) => Command,
  ): Promise<void> {
    if (!(await this.run(decider, streamId, commandId, actor, command))) throw new Error(`Seed command ${commandId} was refused`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Random commands: plain data (indexes into the world), interpreted against the current state.

const REFERRAL_STEPS = [
  'AcceptReferral', 'DeclineReferral', 'StartReferral', 'PutReferralOnHold', 'ResumeReferral', 'CompleteReferral',
  'FailReferral', 'CancelReferral', 'AcknowledgeReferralOutcome', 'ExpireReferral',
] as const;
type ReferralStep = (typeof REFERRAL_STEPS)[number];

const NEXT_STEPS: Readonly<Record<ReferralStatus, readonly ReferralStep[]>> = {
  requested: ['AcceptReferral', 'AcceptReferral', 'AcceptReferral', 'DeclineReferral', 'CancelReferral', 'ExpireReferral'],
  accepted: ['StartReferral', 'StartReferral', 'StartReferral', 'CompleteReferral', 'FailReferral', 'CancelReferral'],
  in_progress: ['CompleteReferral', 'CompleteReferral', 'CompleteReferral', 'PutReferralOnHold', 'FailReferral', 'CancelReferral'],
  on_hold: ['ResumeReferral', 'ResumeReferral', 'CompleteReferral', 'FailReferral', 'CancelReferral'],
  declined: ['AcknowledgeReferralOutcome'],
  cancelled: ['AcknowledgeReferralOutcome'],
  expired: ['AcknowledgeReferralOutcome'],
  completed: ['AcknowledgeReferralOutcome'],
  failed: ['AcknowledgeReferralOutcome'],
};

/** Owners a case in each network may have, as seeded (membership may have changed since). */
const OWNER_CANDIDATES: Readonly<Record<string, readonly string[]>> = {
  [DEMO_NETWORK.id]: [...DEMO_MEMBERS, ...CITY_PROVIDERS].map((institution) => institution.id),
  [SECOND_NETWORK.id]: [...SECOND_MEMBERS.map((institution) => institution.id), SHARED_MEMBER, ...CITY_PROVIDERS.map((institution) => institution.id)],
};

const index = fc.nat({ max: 60 });
const urgency = fc.constantFrom(...URGENCIES);
const categories = fc.subarray(CATEGORIES, { minLength: 1 });

const openAction = fc.record({ type: fc.constant('open' as const), network: index, owner: index, urgency, categories });

const actionArbitrary = fc.oneof(
  { weight: 3, arbitrary: openAction },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('consent' as const),
      network: fc.boolean(),
      recipients: fc.uniqueArray(index, { maxLength: 3 }),
      expiresInHours: fc.option(fc.constantFrom(2, 100, 2000), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('withdrawConsent' as const), consent: index }) },
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('refer' as const), target: index, urgency: fc.option(urgency, { nil: null }), emergency: fc.boolean(),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      type: fc.constant('referralStep' as const),
      referral: index,
      choice: index,
      /** `next`: one of the steps the referral's status allows (any step may still be refused, e.g. for the actor). */
      step: fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...REFERRAL_STEPS) }, { weight: 3, arbitrary: fc.constant('next' as const) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('note' as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('assess' as const), urgency, categories }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('escalate' as const), target: index }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('close' as const), outcome: fc.constantFrom(...OUTCOMES) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('reopen' as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('suspend' as const, 'reactivate' as const), institution: index }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('rename' as const), institution: index, name: fc.constantFrom('Nama A', 'Nama B') }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('addMember' as const, 'removeMember' as const), network: index, institution: index }) },
);

const stepFields = {
  case: index,
  /** Who acts: the network's coordinator, a caseworker of the institution the step is about, or dinsos. */
  actor: fc.oneof(
    { weight: 3, arbitrary: fc.constant('coordinator' as const) },
    { weight: 3, arbitrary: fc.constant('caseworker' as const) },
    { weight: 1, arbitrary: fc.constant('dinsos' as const) },
  ),
  advanceHours: fc.constantFrom(0, 1, 7, 40, 400),
};
const stepArbitrary = fc.record({ ...stepFields, action: actionArbitrary });
type Step = typeof stepArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** A few cases opened first (most steps need one), then anything. */
const historyArbitrary = fc
  .tuple(
    fc.array(fc.record({ ...stepFields, action: openAction }), { minLength: 1, maxLength: 3 }),
    fc.array(stepArbitrary, { minLength: 10, maxLength: 37, size: 'max' }),
  )
  .map(([opening, rest]): Step[] => [...opening, ...rest]);

function caseActor(choice: Step['actor'], networkId: string, institutionId: string): Actor {
  switch (choice) {
    case 'coordinator':
      return { userId: COORDINATORS[networkId] ?? 'nobody', role: 'coordinator', networkId };
    case 'caseworker':
      return { userId: `worker-${institutionId}`, role: 'caseworker', institutionId };
    case 'dinsos':
      return { userId: 'dinsos-officer', role: 'dinsos', institutionId: CITY_PROVIDERS[0]!.id };
  }
}

/** A referral step while no referral is waiting for one becomes a referral request, so fewer steps are wasted. */
async function referWhenNothingToStep(system: System, action: Step['action']): Promise<Step['action']> {
  if (action.type !== 'referralStep') return action;
  for (const id of CASE_IDS) {
    const state = await system.caseState(id);
    if (state.status !== 'none' && state.referrals.some((referral) => !referral.loopClosed)) return action;
  }
  return { type: 'refer', target: action.referral, urgency: null, emergency: action.referral % 2 === 0 };
}

async function perform(system: System, step: Step, n: number): Promise<boolean> {
  system.now += step.advanceHours * 3_600_000;
  const action = await referWhenNothingToStep(system, step.action);
  const commandId = `cmd-${n}`;
  switch (action.type) {
    case 'suspend':
    case 'reactivate':
    case 'rename': {
      const institutionId = pick(INSTITUTION_IDS, action.institution);
      return system.run(institutionDecider, institutionStreamId(institutionId), commandId, ADMIN, (at): InstitutionCommand => {
        const base = { institutionId, actor: ADMIN, at };
        if (action.type === 'rename') return { ...base, type: 'RenameInstitution', name: action.name };
        return action.type === 'suspend' ? { ...base, type: 'SuspendInstitution', reason: 'audit' } : { ...base, type: 'ReactivateInstitution' };
      });
    }
    case 'addMember':
    case 'removeMember': {
      const networkId = pick(NETWORK_IDS, action.network);
      const institutionId = pick(INSTITUTION_IDS, action.institution);
      const institution = await system.institution(institutionId);
      return system.run(networkDecider, networkStreamId(networkId), commandId, ADMIN, (at): NetworkCommand =>
        action.type === 'addMember'
          ? { type: 'AddMember', networkId, actor: ADMIN, at, institutionId, institution }
          : { type: 'RemoveMember', networkId, actor: ADMIN, at, institutionId });
    }
    default:
      break;
  }

  // Any case may be opened; every other step goes to a case that exists, or few steps would do anything.
  // A referral step goes to a case with referrals (`next`: with a referral whose loop is still open); a
  // reopening goes to a closed case when there is one.
  const existing: string[] = [];
  const pending = (referral: Referral) => action.type !== 'referralStep' || action.step !== 'next' || !referral.loopClosed;
  const closed: string[] = [];
  for (const id of CASE_IDS) {
    const state = await system.caseState(id);
    if (state.status === 'closed') closed.push(id);
    if (state.status !== 'none' && (action.type !== 'referralStep' || state.referrals.some(pending))) existing.push(id);
  }
  if (action.type === 'reopen' && closed.length > 0) existing.splice(0, existing.length, ...closed);
  if (action.type !== 'open' && existing.length === 0) return false;
  const caseId = pick(action.type === 'open' ? CASE_IDS : existing, step.case);
  const run = (actor: Actor, command: (base: { caseId: string; actor: Actor; at: string }) => CaseCommand) =>
    system.runCase(caseId, commandId, actor, (at) => command({ caseId, actor, at }));

  if (action.type === 'open') {
    const networkId = pick(NETWORK_IDS, action.network);
    const ownerInstitutionId = pick(OWNER_CANDIDATES[networkId]!, action.owner);
    const [network, owner] = [await system.network(networkId), await system.institution(ownerInstitutionId)];
    return run(caseActor(step.actor, networkId, ownerInstitutionId), (base) => ({
      ...base, type: 'OpenCase', networkId, ownerInstitutionId, subjectId: `subject-${caseId}`, regionCode: DEMO_NETWORK.regionCode,
      subject: { name: 'Budi', nik: '3371010101010001' }, categories: action.categories, urgency: action.urgency,
      description: 'needs help', network, owner, subjectErased: false,
    }));
  }

  const state = await system.caseState(caseId);
  if (state.status === 'none') return false;
  const about = (institutionId: string) => caseActor(step.actor, state.networkId, institutionId);
  const targetFacts = async (institutionId: string) => {
    const network = await system.network(state.networkId);
    return {
      institution: await system.institution(institutionId),
      inCaseNetwork: network.status === 'registered' && network.memberIds.includes(institutionId),
    };
  };
  switch (action.type) {
    case 'consent':
      return run(about(state.ownerInstitutionId), (base) => ({
        ...base, type: 'RecordConsent', consentId: `${caseId}-consent-${n}`, givenBy: 'subject',
        recipients: action.network ? 'network' : action.recipients.map((recipient) => pick(INSTITUTION_IDS, recipient)),
        expiresAt: action.expiresInHours === null ? null : new Date(system.now + action.expiresInHours * 3_600_000).toISOString(),
      }));
    case 'withdrawConsent': {
      if (state.consents.length === 0) return false;
      const consentId = pick(state.consents, action.consent).id;
      return run(about(state.ownerInstitutionId), (base) => ({ ...base, type: 'WithdrawConsent', consentId }));
    }
    case 'refer': {
      // Institutions of the case's network and city-wide providers are twice as likely as the rest.
      const toInstitutionId = pick([...OWNER_CANDIDATES[state.networkId]!, ...INSTITUTION_IDS], action.target);
      const target = await targetFacts(toInstitutionId);
      return run(about(state.ownerInstitutionId), (base) => ({
        ...base, type: 'RequestReferral', referralId: `${caseId}-referral-${n}`, toInstitutionId, reason: 'needs a specialist',
        urgency: action.urgency, emergencyOverride: action.emergency ? { reason: 'danger' } : null, slaHours: DEFAULT_SLA_HOURS, target,
      }));
    }
    case 'referralStep': {
      const referral = pick(state.referrals.filter(pending), action.referral);
      const referralId = referral.id;
      const chosen = action.step === 'next' ? pick(NEXT_STEPS[referral.status], action.choice) : action.step;
      switch (chosen) {
        case 'ExpireReferral':
          return system.runCase(caseId, commandId, { userId: 'system', role: 'system' }, (at): CaseCommand =>
            ({ caseId, actor: { userId: 'system', role: 'system' }, at, type: 'ExpireReferral', referralId }));
        case 'CancelReferral':
          return run(about(referral.fromInstitutionId), (base) => ({ ...base, referralId, type: 'CancelReferral', reason: 'no longer needed' }));
        case 'AcknowledgeReferralOutcome':
          return run(about(referral.fromInstitutionId), (base) => ({ ...base, referralId, type: 'AcknowledgeReferralOutcome' }));
        case 'DeclineReferral':
          return run(about(referral.toInstitutionId), (base) => ({
            ...base, referralId, type: 'DeclineReferral', reasonCode: pick(DECLINE_REASON_CODES, n), reason: 'full',
          }));
        case 'PutReferralOnHold':
        case 'FailReferral': {
          const type = chosen;
          return run(about(referral.toInstitutionId), (base) => ({ ...base, referralId, type, reason: 'waiting' }));
        }
        case 'CompleteReferral':
          return run(about(referral.toInstitutionId), (base) => ({ ...base, referralId, type: 'CompleteReferral', outcome: pick(OUTCOMES, n), summary: 'done' }));
        case 'AcceptReferral':
        case 'StartReferral':
        case 'ResumeReferral': {
          const type = chosen;
          return run(about(referral.toInstitutionId), (base) => ({ ...base, referralId, type }));
        }
      }
      break;
    }
    case 'note':
      return run(about(state.ownerInstitutionId), (base) => ({ ...base, type: 'AddNote', noteId: `note-${n}`, text: 'visited', visibility: 'participants' }));
    case 'assess':
      return run(about(state.ownerInstitutionId), (base) => ({ ...base, type: 'AssessNeeds', categories: action.categories, urgency: action.urgency }));
    case 'escalate': {
      const toInstitutionId = pick(INSTITUTION_IDS, action.target);
      const target = await targetFacts(toInstitutionId);
      return run(about(state.ownerInstitutionId), (base) => ({ ...base, type: 'EscalateCase', toInstitutionId, reason: 'beyond the network', target }));
    }
    case 'close':
      return run(about(state.ownerInstitutionId), (base) => ({ ...base, type: 'CloseCase', outcome: action.outcome, summary: 'helped' }));
    case 'reopen':
      return run(about(state.ownerInstitutionId), (base) => ({ ...base, type: 'ReopenCase', reason: 'again' }));
  }
  return false;
}

interface Log {
  readonly events: readonly RecordedEvent[];
  readonly last: bigint;
  /** Every text of every event's `personal` field, opened: names, NIKs, descriptions, reasons, notes. */
  readonly personal: ReadonlySet<string>;
}

async function buildLog(system: System, steps: readonly Step[], afterStep: (n: number) => Promise<void> = async () => {}): Promise<Log> {
  await system.seed();
  for (const [n, step] of steps.entries()) {
    await perform(system, step, n);
    await afterStep(n);
  }
  const events: RecordedEvent[] = [];
  for await (const event of system.events.readAll()) events.push(event);
  return { events, last: events[events.length - 1]!.position, personal: await openedPersonalValues(system, events) };
}

/** The texts of every event's `personal` field, each opened as an auditor would; a field stored unsealed fails the run. */
async function openedPersonalValues(system: System, events: readonly RecordedEvent[]): Promise<Set<string>> {
  const values = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') values.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const event of events) {
    const personal = (event.data as { personal?: unknown }).personal;
    if (personal === undefined) continue;
    if (!isSealedPersonal(personal)) throw new Error(`${event.type} at ${event.position} stores its personal data unsealed`);
    const opened = await system.cipher.openEvent(AUDITOR, personal.subjectId, event);
    if (opened === null || opened.erased) throw new Error(`${event.type} at ${event.position}: its personal data does not open`);
    collect(opened.value);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------------
// The reference: each projection's own view definitions folded over the whole log in one pass, from nothing.

type Snapshot = Readonly<Record<string, readonly Document[]>>;

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const byId = (left: Document, right: Document) => (left._id < right._id ? -1 : left._id > right._id ? 1 : 0);

function referenceViews(log: Log): Snapshot {
  const views: Record<string, Document[]> = {};
  for (const projection of PROJECTIONS) {
    for (const [name, documents] of Object.entries(foldViews(projection, log.events))) views[name] = [...documents].sort(byId);
  }
  return json(views);
}

async function snapshot(views: ReadStore): Promise<Snapshot> {
  const result: Record<string, Document[]> = {};
  for (const name of [...VIEW_COLLECTIONS, CHECKPOINTS]) {
    const documents = await views.collection(name).find({});
    // A checkpoint's `updatedAt` is the wall clock of its last write: the one field allowed to differ.
    result[name] = documents
      .map((document) => (name === CHECKPOINTS ? (({ updatedAt: _ignored, ...rest }) => rest)(document) as Document : document))
      .sort(byId);
  }
  return result;
}

/** The views without their checkpoints. */
function withoutCheckpoints(views: Snapshot): Snapshot {
  return Object.fromEntries(VIEW_COLLECTIONS.map((name) => [name, views[name] ?? []]));
}

/** JSON of a document with each sealed blob as one placeholder: base64 could spell a short word by chance. */
const outsideSealed = (document: Document): string =>
  JSON.stringify(document, (_key, value: unknown) => (isSealedPersonal(value) ? '<sealed>' : value));

/** Each plaintext value of a `personal` field found anywhere in a view document, outside sealed blobs. */
function personalDataLeaks(views: Snapshot, log: Log): string[] {
  const leaks: string[] = [];
  for (const name of VIEW_COLLECTIONS) {
    for (const document of views[name] ?? []) {
      const text = outsideSealed(document);
      for (const value of log.personal) if (text.includes(value)) leaks.push(`${name}/${document._id} holds ${JSON.stringify(value)}`);
    }
  }
  return leaks;
}

// ---------------------------------------------------------------------------------------------------
// Running the projections.

async function runToEnd(projection: Projection, events: EventStore, views: ReadStore, last: bigint, batchSize?: number): Promise<void> {
  const runner = new ProjectionRunner(projection, events, views, batchSize === undefined ? {} : { batchSize });
  await runner.start();
  const reached = await runner.reached(last);
  await runner.stop();
  if (!reached) throw new Error(`${projection.name} stopped before ${last}: ${runner.status().error}`);
}

async function cleanRun(events: EventStore, last: bigint): Promise<Snapshot> {
  const views = new SqliteReadStore(':memory:');
  try {
    for (const projection of PROJECTIONS) await runToEnd(projection, events, views, last);
    return await snapshot(views);
  } finally {
    await views.close();
  }
}

/** The position of the event at this fraction of a (non-empty) list of events. */
const positionAt = (events: readonly RecordedEvent[], fraction: number): bigint =>
  events[Math.min(events.length - 1, Math.floor(fraction * events.length))]!.position;

interface Crash {
  /** Which of the projection's collections, or its checkpoint (the last choice). */
  readonly collection: number;
  /** Fails the first bulkWrite to it that writes a document this far into the events not yet in the views (a fraction)... */
  readonly at: number;
  /** ...after applying this many of its operations (as an ordered bulkWrite cut short by a crash). */
  readonly applied: number;
}

/**
 * How far into the log a bulkWrite goes: the newest `lastPosition` (or checkpoint `position`) it writes,
 * by replacement or by update (`$set`, or `$setOnInsert` when creating).
 */
function writesUpTo(operations: readonly WriteOperation[]): bigint {
  let upTo = -1n;
  for (const operation of operations) {
    if ('deleteOne' in operation) continue;
    const { lastPosition, position } = ('replaceOne' in operation
      ? operation.replaceOne.replacement
      : { ...operation.updateOne.update.$setOnInsert, ...operation.updateOne.update.$set }) as { lastPosition?: number; position?: string };
    const written = lastPosition !== undefined ? BigInt(lastPosition) : position !== undefined ? BigInt(position) : -1n;
    if (written > upTo) upTo = written;
  }
  return upTo;
}

/** A read store whose bulkWrite to one collection dies once, part-way, like a process killed mid-batch. */
class CrashingReadStore implements ReadStore {
  /** Cut part-way, as MongoDB without transactions can be. */
  readonly writesTogetherAtomically = false;
  private readonly crashIn: string | null;
  private readonly crashAt: bigint;
  private crashed = false;

  /** `ahead`: the events whose effects the views do not hold yet. */
  constructor(private readonly base: ReadStore, private readonly crash: Crash | null, projection: Projection, ahead: readonly RecordedEvent[]) {
    const own = ahead.filter((event) => matchesFilter(projection.filter, event));
    this.crashIn = crash === null || own.length === 0 ? null : pick([...Object.keys(projection.collections), CHECKPOINTS], crash.collection);
    this.crashAt = crash === null || own.length === 0 ? 0n : positionAt(own, crash.at);
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    const collection = this.base.collection<T>(name);
    if (this.crashIn !== name) return collection;
    return {
      name: collection.name,
      find: (filter, options) => collection.find(filter, options),
      findOne: (filter) => collection.findOne(filter),
      countDocuments: (filter) => collection.countDocuments(filter),
      createIndex: (index) => collection.createIndex(index),
      createIndexes: (indexes) => collection.createIndexes(indexes),
      drop: () => collection.drop(),
      bulkWrite: (operations) => this.bulkWrite(collection, operations),
    };
  }

  private async bulkWrite(collection: ReadCollection, operations: readonly WriteOperation[]): Promise<BulkWriteResult> {
    const crash = this.crash!;
    if (this.crashed || writesUpTo(operations) < this.crashAt) return collection.bulkWrite(operations);
    this.crashed = true;
    await collection.bulkWrite(operations.slice(0, crash.applied % (operations.length + 1)));
    throw new Error(`simulated crash in a bulkWrite to ${collection.name}`);
  }

  /** One collection after the other, as on MongoDB (no transaction): a crash leaves the earlier writes applied. */
  async writeTogether(writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]> {
    const results: BulkWriteResult[] = [];
    for (const { collection, operations } of writes) results.push(await this.collection(collection).bulkWrite(operations));
    return results;
  }

  renameCollection(from: string, to: string): Promise<void> {
    return this.base.renameCollection(from, to);
  }

  listCollections(): Promise<string[]> {
    return this.base.listCollections();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const segmentArbitrary = fc.record({
  batchSize: fc.integer({ min: 1, max: 8 }),
  /** Where to stop, as a fraction of the log. */
  stopAt: fc.double({ min: 0, max: 1, noNaN: true }),
  crash: fc.option(fc.record({
    collection: fc.nat({ max: 3 }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    applied: fc.nat({ max: 8 }),
  }), { nil: null, freq: 4 }),
  /** After a crash, start the same runner again (as a supervisor would) instead of leaving it to a fresh one. */
  retry: fc.boolean(),
  /** After stopping, move the checkpoint back to this fraction of where it was (0: delete it). */
  rewind: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
});
type Segment = typeof segmentArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function rewindCheckpoint(views: ReadStore, projection: Projection, fraction: number): Promise<void> {
  const checkpoints = views.collection<Document & { position: string }>(CHECKPOINTS);
  const stored = await checkpoints.findOne({ _id: projection.name });
  const position = stored ? BigInt(stored.position) : 0n;
  const earlier = BigInt(Math.floor(Number(position) * fraction));
  if (earlier === 0n) {
    await checkpoints.bulkWrite([{ deleteOne: { filter: { _id: projection.name } } }]);
    return;
  }
  await checkpoints.bulkWrite([{
    replaceOne: { filter: { _id: projection.name }, replacement: { _id: projection.name, position: earlier.toString(), updatedAt: new Date().toISOString() }, upsert: true },
  }]);
}

/** The newest event the projection's views hold (replaying a rewound checkpoint writes nothing up to there). */
async function viewsProgress(views: ReadStore, projection: Projection): Promise<bigint> {
  const checkpoint = await views.collection<Document & { position: string }>(CHECKPOINTS).findOne({ _id: projection.name });
  let progress = checkpoint === null ? 0n : BigInt(checkpoint.position);
  for (const name of Object.keys(projection.collections)) {
    for (const document of await views.collection<Document & { lastPosition: number }>(name).find({})) {
      if (BigInt(document.lastPosition) > progress) progress = BigInt(document.lastPosition);
    }
  }
  return progress;
}

/** Runs every projection through the segments: each stops somewhere, may crash mid-batch, may rewind. */
async function runSegments(events: EventStore, views: ReadStore, log: Log, segments: readonly Segment[]): Promise<void> {
  for (const segment of segments) {
    for (const projection of PROJECTIONS) {
      const stopAt = positionAt(log.events, segment.stopAt);
      const progress = await viewsProgress(views, projection);
      const ahead = log.events.filter((event) => event.position > progress);
      const runner = new ProjectionRunner(projection, events, new CrashingReadStore(views, segment.crash, projection, ahead), { batchSize: segment.batchSize });
      await runner.start();
      // A runner meant to crash runs on until it does (somewhere in what its views do not hold yet); any other
      // run, and a retry after the crash, stops at the segment's point.
      const reached = await runner.reached(segment.crash === null ? stopAt : log.last);
      if (!reached && segment.retry) {
        await runner.start();
        await runner.reached(stopAt);
      }
      await runner.stop();
      if (segment.rewind !== null) await rewindCheckpoint(views, projection, segment.rewind);
    }
  }
}

async function withLog<T>(steps: readonly Step[], body: (events: EventStore, log: Log) => Promise<T>): Promise<T> {
  const events = new SqliteEventStore(':memory:', { pollIntervalMs: 20 });
  try {
    const system = new System(events);
    return await body(events, await buildLog(system, steps));
  } finally {
    await events.close();
  }
}

interface ScratchViews {
  readonly views: ReadStore;
  /** Closes the store and removes what the run wrote. */
  dispose(): Promise<void>;
}

const sqliteViews = async (): Promise<ScratchViews> => {
  const views = new SqliteReadStore(':memory:');
  return { views, dispose: () => views.close() };
};

/** Property A for one history: every projection run to the end on fresh views, compared with the reference. */
async function viewsEqualTheFold(steps: readonly Step[], batchSize: number | undefined, openViews: () => Promise<ScratchViews>): Promise<void> {
  await withLog(steps, async (events, log) => {
    const { views, dispose } = await openViews();
    try {
      for (const projection of PROJECTIONS) await runToEnd(projection, events, views, log.last, batchSize);
      const actual = await snapshot(views);
      expect(withoutCheckpoints(actual)).toEqual(referenceViews(log));
      expect(actual[CHECKPOINTS]).toEqual(PROJECTIONS.map((projection) => ({ _id: projection.name, position: log.last.toString() })).sort(byId));
      expect(personalDataLeaks(actual, log)).toEqual([]);
    } finally {
      await dispose();
    }
  });
}

const batchSizeArbitrary = fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined });

describe('projections (property)', () => {
  quietNestLogger();

  it('the generator produces rich valid histories (a property over nothing proves nothing)', async () => {
    const counts = new Map<string, number>();
    const personal = new Set<string>();
    const samples = fc.sample(historyArbitrary, { numRuns: 15, seed: 42 });
    for (const steps of samples) {
      await withLog(steps, async (_events, log) => {
        for (const event of log.events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
        for (const value of log.personal) personal.add(value);
        // The leak check sees a personal value wherever it ends up in a document.
        if (log.personal.has('Budi')) {
          expect(personalDataLeaks({ [CASES]: [{ _id: 'leaky', state: { subject: { name: 'Budi' } } }] }, log)).toEqual(['cases/leaky holds "Budi"']);
        }
      });
    }
    for (const type of [
      'CaseOpened', 'ConsentRecorded', 'NeedsAssessed', 'ReferralRequested', 'ReferralAccepted', 'ReferralDeclined', 'ReferralCompleted',
      'ReferralOutcomeAcknowledged', 'CaseEscalated', 'CaseClosed', 'CaseReopened', 'InstitutionLeftNetwork',
    ]) {
      expect({ type, seen: (counts.get(type) ?? 0) > 0 }).toEqual({ type, seen: true });
    }
    // Names, NIKs and free text, opened from their sealed form: what no view may hold in plaintext.
    expect([...personal]).toEqual(expect.arrayContaining(['Budi', '3371010101010001', 'needs help', 'needs a specialist', 'visited']));
  }, 60_000);

  it('A: the views equal a fold of every stream, and hold nothing else', async () => {
    await fc.assert(fc.asyncProperty(historyArbitrary, batchSizeArbitrary, (steps, batchSize) => viewsEqualTheFold(steps, batchSize, sqliteViews)),
      { numRuns: NUM_RUNS, ...SEED, ...timeLimit() });
  }, PROPERTY_TIMEOUT_MS);

  it('B: following live, stopping anywhere, crashing mid-batch and replaying from an earlier checkpoint leave the views as one clean run leaves them', async () => {
    await fc.assert(fc.asyncProperty(
      historyArbitrary,
      fc.option(fc.record({ batchSize: fc.integer({ min: 1, max: 8 }), stopAfter: fc.double({ min: 0, max: 1, noNaN: true }) }), { nil: null }),
      fc.array(segmentArbitrary, { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 8 }),
      async (steps, live, segments, finalBatchSize) => {
        const events = new SqliteEventStore(':memory:', { pollIntervalMs: 20 });
        const views = new SqliteReadStore(':memory:');
        try {
          // Runners that follow the log while the commands are written, stopped wherever they are after some step.
          const runners = live === null ? [] : PROJECTIONS.map((projection) => new ProjectionRunner(projection, events, views, { batchSize: live.batchSize }));
          for (const runner of runners) await runner.start();
          const stopAfter = live === null ? -1 : Math.floor(live.stopAfter * (steps.length - 1));
          const log = await buildLog(new System(events), steps, async (n) => {
            if (n === stopAfter) for (const runner of runners) await runner.stop();
          });

          await runSegments(events, views, log, segments);
          for (const projection of PROJECTIONS) await runToEnd(projection, events, views, log.last, finalBatchSize);
          const chaotic = await snapshot(views);

          expect(chaotic).toEqual(await cleanRun(events, log.last));
          expect(withoutCheckpoints(chaotic)).toEqual(referenceViews(log));
          expect(personalDataLeaks(chaotic, log)).toEqual([]);
          // Every runner stopped: none left a subscription polling the store.
          expect(events.stats.openSubscriptions).toBe(0);
        } finally {
          await views.close();
          await events.close();
        }
      },
    ), { numRuns: NUM_RUNS, ...SEED, ...timeLimit() });
  }, PROPERTY_TIMEOUT_MS);
});

const mongo = mongoForSpecs();

describeWithServer('projections (property) on a MongoDB-protocol server', mongo.skipReason, () => {
  quietNestLogger();

  /** Each run in a database of its own, dropped afterwards. */
  const mongoViews = async (): Promise<ScratchViews> => {
    const views = await MongoReadStore.connect(mongo.url!, `rujukan_property_${randomUUID().slice(0, 8)}`);
    return {
      views,
      dispose: async () => {
        try {
          await views.dropDatabase();
        } finally {
          await views.close();
        }
      },
    };
  };

  it('A: the views equal a fold of every stream, and hold nothing else', async () => {
    await fc.assert(fc.asyncProperty(historyArbitrary, batchSizeArbitrary, (steps, batchSize) => viewsEqualTheFold(steps, batchSize, mongoViews)),
      { numRuns: MONGO_NUM_RUNS, ...SEED, ...timeLimit() });
  }, PROPERTY_TIMEOUT_MS);
});
