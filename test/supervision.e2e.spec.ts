/**
 * A projection that cannot apply an event (a bug meeting a kind of event it does not handle) halts there
 * alone, as an operator sees it: the other views carry on; /health/ready answers 503 naming the event's
 * position and the error; /metrics shows the halt; `projections status` lists it (exit 1); once the bug is
 * fixed, `projections retry` makes the service try again and the view catches up.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import { caseTimelineProjection } from '../src/projections/case-timeline/case-timeline.projection.js';
import { CLI, requireBuild } from './support/service.js';
import { expectProblem } from './support/problems.js';
import { SECRET, TestApp } from './support/test-app.js';
import { DINSOS, NETWORK, OWNER } from './support/demo.js';

let t: TestApp;
let owner: string;
let dinsos: string;
/** The bug: the timeline cannot handle escalations while it is set. */
const bug = { present: true };

async function cli(...args: string[]): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, [CLI, 'projections', ...args], {
    env: { PATH: process.env['PATH'] ?? '', DATA_DIR: t.config.dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent', COLUMNS: '400' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = await once(child, 'exit');
  return { code: code as number, output };
}

beforeAll(async () => {
  requireBuild();
  Logger.overrideLogger(false);
  const project = caseTimelineProjection.project.bind(caseTimelineProjection);
  jest.spyOn(caseTimelineProjection, 'project').mockImplementation(async (events, views) => {
    if (bug.present && events.some((event) => event.type === 'CaseEscalated')) throw new TypeError("Cannot read properties of undefined (reading 'x')");
    return project(events, views);
  });
  t = await TestApp.start();
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  dinsos = await t.token({ role: 'dinsos' });
});
afterAll(async () => {
  await t.stop();
  jest.restoreAllMocks();
  Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
});

it('halts only the projection at fault, says where and why, and carries on after `projections retry` once fixed', async () => {
  const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Warga', regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'high', description: 'x' });
  const caseId = opened.body.id as string;
  const escalated = await t.post(`/cases/${caseId}/escalate`, owner, { toInstitutionId: DINSOS, reason: 'Needs the city' });
  expect(escalated.status).toBe(200);
  const note = await t.post(`/cases/${caseId}/notes`, owner, { text: 'After the escalation', visibility: 'participants' });
  expect(note.status).toBe(201);
  const poison = (await t.stream(`case-${caseId}`)).find((event) => event.type === 'CaseEscalated')!;

  // The other views applied everything, the escalation included.
  const view = await t.get(`/cases/${caseId}`, dinsos, { 'x-min-position': '0' });
  expect(view.status).toBe(200);
  let health = await t.get('/health/ready', owner, { 'x-min-position': '0' });
  for (let waited = 0; health.status === 200 && waited < 5_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    health = await t.get('/health/ready', owner, { 'x-min-position': '0' });
  }
  // An operator's endpoint: its problem names the error (its class, never its message), which client-facing problems never do.
  expect(health.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(health.body).toMatchObject({ status: 503, type: '/problems/unavailable' });
  expect(health.body.detail).toBe(`Projection case-timeline halted at position ${poison.position} (event ${poison.id}, CaseEscalated): TypeError; once the cause is fixed, run \`rujukan projections retry case-timeline\``);
  // A read that waits for the timeline is refused at once, not after the whole wait.
  const timeline = await t.get(`/cases/${caseId}/timeline`, owner, { 'x-min-position': note.body.position });
  expectProblem(timeline, 503);

  const metrics = (await t.app.inject({ method: 'GET', url: '/api/v1/metrics' })).body;
  expect(metrics).toContain('rujukan_projection_halted{projection="case-timeline",error="TypeError"} 1');
  expect(metrics).toContain(`rujukan_projection_halted_position{projection="case-timeline"} ${poison.position}`);
  expect(metrics).toContain('rujukan_projection_halted{projection="case-summaries",error=""} 0');

  const status = await cli('status');
  expect(status.code).toBe(1);
  expect(status.output).toContain(`at ${poison.position} (CaseEscalated ${poison.id}): TypeError`);
  expect(status.output).toMatch(/Halted: case-timeline\. /);

  // Retried with the bug still there: it halts again at the same event.
  const again = await cli('retry', 'case-timeline');
  expect(again).toEqual({ code: 1, output: expect.stringContaining(`case-timeline halted again at position ${poison.position}`) });

  bug.present = false;
  const retried = await cli('retry', 'case-timeline');
  expect(retried).toEqual({ code: 0, output: expect.stringMatching(/case-timeline is past the event: now at position \d+/) });
  const caughtUp = await t.get(`/cases/${caseId}/timeline`, owner, { 'x-min-position': note.body.position });
  expect(caughtUp.status).toBe(200);
  expect(caughtUp.body.items.map((item: { type: string }) => item.type)).toEqual(['CaseOpened', 'CaseEscalated', 'CaseNoteAdded']);
  expect((await t.get('/health/ready', owner, { 'x-min-position': '0' })).status).toBe(200);
  expect(await cli('status')).toMatchObject({ code: 0 });
}, 90_000);
