/**
 * An erasure's key deletion is its own step after `SubjectDataErased` is appended (src/privacy/commands/subject.commands.ts).
 * Should the process die between the two, the request was never answered: its retry, after a restart, is
 * replayed (nothing appended twice) and deletes the key; a new request is refused as already erased and
 * deletes it too. Either way the subject reads as erased.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubjectKeyStore } from '../src/privacy/subject-key.store.js';
import { subjectStreamId } from '../src/privacy/subject.events.js';
import { NETWORK, OWNER } from './support/demo.js';
import { TestApp, type Response } from './support/test-app.js';

const REGION = '33.71.01.1008';
const dataDirs: string[] = [];
let t: TestApp;

afterEach(async () => {
  await t.stop();
});

afterAll(() => {
  for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
});

async function ok(response: Promise<Response>, status = 200): Promise<Response> {
  const answered = await response;
  expect({ status: answered.status, body: answered.body }).toMatchObject({ status });
  return answered;
}

/** A case of a new subject; the app dies in the middle of the subject's erasure (after the append, before the key is deleted) and starts again. */
async function erasureCutShort(nik: string): Promise<{ caseId: string; subjectId: string; dinsos: string; owner: string; key: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-erasure-crash-'));
  dataDirs.push(dataDir);
  t = await TestApp.start({ dataDir });
  const [owner, dinsos] = await Promise.all([t.token({ role: 'caseworker', institutionId: OWNER }), t.token({ role: 'dinsos' })]);
  const opened = await ok(t.post('/cases', owner, {
    networkId: NETWORK, subject: { name: 'Sri Wahyuni', nik, regionCode: REGION }, categories: ['PPKS-08'], urgency: 'high', description: 'Lansia sendirian',
  }), 201);
  const caseId: string = opened.body.id;
  const subjectId: string = (await ok(t.get(`/cases/${caseId}`, owner))).body.subject.id;
  const key = `erase-${subjectId}`;
  jest.spyOn(t.app.get(SubjectKeyStore), 'erase').mockRejectedValueOnce(new Error('the process died here'));
  const cutShort = await t.post(`/subjects/${subjectId}/erasure`, dinsos, { reason: 'Permintaan PDP' }, { 'idempotency-key': key });
  expect(cutShort.status).toBe(500);
  await t.stop();
  t = await TestApp.start({ dataDir });
  return { caseId, subjectId, dinsos, owner, key };
}

async function erasuresIn(subjectId: string): Promise<string[]> {
  const types: string[] = [];
  for await (const event of t.store.readStream(subjectStreamId(subjectId))) types.push(event.type);
  return types;
}

describe('an erasure cut short between its append and its key deletion', () => {
  it('is finished by the retry with the same Idempotency-Key: replayed, nothing appended twice, the subject erased', async () => {
    const { caseId, subjectId, dinsos, owner, key } = await erasureCutShort('3371015205800011');
    expect(await erasuresIn(subjectId)).toEqual(['SubjectDataErased']);
    const retried = await ok(t.post(`/subjects/${subjectId}/erasure`, dinsos, { reason: 'Permintaan PDP' }, { 'idempotency-key': key }));
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(await erasuresIn(subjectId)).toEqual(['SubjectDataErased']);
    expect((await ok(t.get(`/cases/${caseId}`, owner))).body.subject).toEqual({ id: subjectId, erased: true });
  });

  it('is finished by a new erasure request too, which is refused as already done', async () => {
    const { caseId, subjectId, dinsos, owner } = await erasureCutShort('3371015205800012');
    await ok(t.post(`/subjects/${subjectId}/erasure`, dinsos, { reason: 'Permintaan PDP' }, { 'idempotency-key': 'another-request' }), 409);
    expect(await erasuresIn(subjectId)).toEqual(['SubjectDataErased']);
    expect((await ok(t.get(`/cases/${caseId}`, owner))).body.subject).toEqual({ id: subjectId, erased: true });
  });
});
