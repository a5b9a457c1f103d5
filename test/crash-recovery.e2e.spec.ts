/**
 * An acknowledged command survives a crash (DESIGN §6: WAL, synchronous=FULL, idempotency keys). The built
 * service runs as a child process under a write load over real HTTP, is SIGKILLed mid-load and restarted
 * on the same DATA_DIR. Every command answered 2xx must be stored exactly once; every command left
 * unanswered, retried with its Idempotency-Key, must end up stored exactly once too; every chain must hold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { findChainBreak } from '../src/core/event-envelope.js';
import { derivedId } from '../src/core/ids.js';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { SAMPLE_NIK, SECRET } from './support/test-app.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { requireBuild, Service, withServiceLog } from './support/service.js';

const CLIENTS = 8;
const KILL_AFTER_ACKNOWLEDGED = 150;
/** Bounds the load if the kill never comes. */
const MAX_COMMANDS_PER_CLIENT = 200;
const REQUEST_TIMEOUT_MS = 10_000;

interface User {
  readonly id: string;
  readonly institutionId: string;
  readonly token: string;
}

/** One command as a client sends it, and what became of it. */
interface Sent {
  readonly user: User;
  readonly key: string;
  readonly path: string;
  readonly body: unknown;
  /** The event type the command stores. */
  readonly produces: string;
  answer: Answer | 'unanswered';
}

interface Answer {
  readonly status: number;
  readonly replayed: boolean;
  readonly body: any;
}

async function send(service: Service, command: Sent): Promise<Answer> {
  const response = await fetch(`${service.base}${command.path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${command.user.token}`, 'content-type': 'application/json', 'idempotency-key': command.key },
    body: JSON.stringify(command.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, replayed: response.headers.get('idempotent-replayed') === 'true', body: text ? JSON.parse(text) : undefined };
}

/** The command id the service derives from a key (src/http/command-context.ts). */
const commandIdOf = (command: Sent): string => derivedId('command', command.user.id, command.key);
const acknowledged = (command: Sent): command is Sent & { answer: Answer } => command.answer !== 'unanswered' && command.answer.status < 300;

const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-crash-'));
const log: string[] = [];
const services: Service[] = [];
const sent: Sent[] = [];
let owner: User;
let puskesos: User;

const withLog = (step: () => Promise<void>) => withServiceLog(log, step);

beforeAll(async () => {
  requireBuild();
  const user = async (id: string, institutionId: string): Promise<User> =>
    ({ id, institutionId, token: await mintToken({ sub: id, role: 'caseworker', institutionId, expiresIn: '1h' }, SECRET) });
  owner = await user('crash-owner', OWNER);
  puskesos = await user('crash-puskesos', PUSKESOS);
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  rmSync(dataDir, { recursive: true, force: true });
});

const openCase = (user: User, key: string, name: string): Sent => ({
  user, key, path: '/cases', produces: 'CaseOpened', answer: 'unanswered',
  body: { networkId: NETWORK, subject: { name, nik: SAMPLE_NIK, regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'normal', description: `Opened by ${key}` },
});
const note = (user: User, key: string, caseId: string): Sent => ({
  user, key, path: `/cases/${caseId}/notes`, produces: 'CaseNoteAdded', answer: 'unanswered', body: { text: `Note ${key}`, visibility: 'participants' },
});

describe('SIGKILL in the middle of a write load', () => {
  let sharedCaseId: string;
  let inFlightAtKill = 0;

  it('acknowledges commands from concurrent clients until the service is killed', () => withLog(async () => {
    const first = await Service.start(dataDir, log, 'first run');
    services.push(first);

    // A case both institutions take part in, so their clients also contend on one stream.
    const setup = async (command: Sent): Promise<Answer> => {
      sent.push(command);
      command.answer = await send(first, command);
      expect(command.answer.status).toBeLessThan(300);
      return command.answer;
    };
    sharedCaseId = (await setup(openCase(owner, 'shared-open', 'Shared Subject'))).body.id;
    await setup({ user: owner, key: 'shared-consent', path: `/cases/${sharedCaseId}/consents`, produces: 'ConsentRecorded', answer: 'unanswered', body: { scope: 'referral', recipients: 'network', givenBy: 'subject' } });
    const { referralId } = (await setup({ user: owner, key: 'shared-refer', path: `/cases/${sharedCaseId}/referrals`, produces: 'ReferralRequested', answer: 'unanswered', body: { toInstitutionId: PUSKESOS, reason: 'Needs a home visit' } })).body;
    await setup({ user: puskesos, key: 'shared-accept', path: `/cases/${sharedCaseId}/referrals/${referralId}/accept`, produces: 'ReferralAccepted', answer: 'unanswered', body: {} });

    let acknowledgedCount = 0;
    let killed = false;
    const unexpected: string[] = [];
    // Each client opens a case, then alternates notes on it and on the shared case; a new case every 6 commands.
    const client = async (index: number): Promise<void> => {
      const user = index % 2 === 0 ? owner : puskesos;
      let ownCaseId: string | null = null;
      for (let n = 0; n < MAX_COMMANDS_PER_CLIENT && !killed; n++) {
        const key = `client-${index}-${n}`;
        const command: Sent = ownCaseId === null || n % 6 === 0
          ? openCase(user, key, `Subject ${index}-${n}`)
          : note(user, key, n % 2 === 0 ? ownCaseId : sharedCaseId);
        sent.push(command);
        try {
          command.answer = await send(first, command);
        } catch (error) {
          if (!killed) unexpected.push(`${key}: ${String(error)}`);
          return;
        }
        if (command.answer.status >= 300) {
          unexpected.push(`${key}: ${command.answer.status} ${JSON.stringify(command.answer.body)}`);
          return;
        }
        if (command.produces === 'CaseOpened') ownCaseId = command.answer.body.id;
        if (++acknowledgedCount === KILL_AFTER_ACKNOWLEDGED) {
          killed = true;
          inFlightAtKill = sent.filter((other) => other.answer === 'unanswered').length;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    await first.stop('SIGKILL');

    expect(unexpected).toEqual([]);
    expect(killed).toBe(true);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(sent.filter(acknowledged).length).toBeGreaterThanOrEqual(KILL_AFTER_ACKNOWLEDGED);
    // Killed mid-load: commands were on their way.
    expect(inFlightAtKill).toBeGreaterThan(0);
  }), 60_000);

  it('after a restart, retrying each unanswered command with its key stores it; retrying an answered one replays it', () => withLog(async () => {
    const second = await Service.start(dataDir, log, 'second run');
    services.push(second);
    const unanswered = sent.filter((command) => command.answer === 'unanswered');
    const answered = sent.filter(acknowledged);
    expect(unanswered.length).toBeGreaterThan(0);

    const retries = await Promise.all(unanswered.map(async (command) => {
      command.answer = await send(second, command);
      return command.answer;
    }));
    expect(retries.map((answer) => answer.status)).toEqual(retries.map(() => 201));

    const replays = await Promise.all(answered.map(async (command) => ({ before: command.answer, after: await send(second, command) })));
    for (const { before, after } of replays) {
      expect(after).toEqual({ status: before.status, replayed: true, body: before.body });
    }
    // A clean stop: Nest runs its shutdown hooks (closing the store), then re-raises SIGTERM.
    await second.stop('SIGTERM');
    expect(second.child.exitCode === 0 || second.child.signalCode === 'SIGTERM').toBe(true);
  }), 60_000);

  it('holds every command exactly once, where its answer said, in unbroken chains', () => withLog(async () => {
    const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    const events: RecordedEvent[] = [];
    try {
      for await (const event of store.readAll()) events.push(event);
    } finally {
      await store.close();
    }

    const byCommand = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const commandId = String(event.metadata['commandId']);
      byCommand.set(commandId, [...(byCommand.get(commandId) ?? []), event]);
    }
    expect(sent.filter((command) => !acknowledged(command)).map((command) => command.key)).toEqual([]);
    for (const command of sent.filter(acknowledged)) {
      const stored = byCommand.get(commandIdOf(command)) ?? [];
      expect({ key: command.key, types: stored.map((event) => event.type) }).toEqual({ key: command.key, types: [command.produces] });
      const [event] = stored;
      expect({ key: command.key, stream: event!.streamId, revision: event!.revision.toString(), position: event!.position.toString() })
        .toEqual({ key: command.key, stream: `case-${command.answer.body.id}`, revision: command.answer.body.revision, position: command.answer.body.position });
    }
    // Nothing else was written on behalf of the clients' users.
    const ours = new Set([owner.id, puskesos.id]);
    const clientEvents = events.filter((event) => ours.has((event.metadata['actor'] as { userId: string }).userId));
    expect(clientEvents).toHaveLength(sent.length);

    const streams = new Map<string, RecordedEvent[]>();
    for (const event of events) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
    for (const [streamId, stream] of streams) {
      expect({ streamId, revisions: stream.map((event) => Number(event.revision)) }).toEqual({ streamId, revisions: stream.map((_, index) => index) });
      expect({ streamId, broken: findChainBreak(stream) }).toEqual({ streamId, broken: null });
    }
    expect(streams.get(`case-${sharedCaseId}`)!.length).toBeGreaterThan(4);
  }), 5_000);
});
