/**
 * Logs and metrics carry no personal data, and every request's log lines carry its id. A small flow runs
 * with logging at `debug`, every line captured: a case opened for a named subject with a NIK, read back,
 * a note, bad requests that quote the NIK, and an internal error whose message quotes it too (as a database
 * driver may echo a duplicate key). A 500 tells the client nothing but the request id to quote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDecorator } from '../src/event-store/event-store-decorator.js';
import type { AppendResult, ExpectedRevision, NewEvent } from '../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { NETWORK, OWNER } from './support/demo.js';
import { SAMPLE_NIK, TestApp, type Response } from './support/test-app.js';

const NAME = 'Sri Rahayu Wulandari';
const ADDRESS = 'Jl. Tidar Gang Melati No. 17';
const PHONE = '0812-2770-4411';
const NOTE = `Bu ${NAME} asked for help with her rent`;
const PERSONAL = [SAMPLE_NIK, NAME, 'Wulandari', ADDRESS, 'Melati', PHONE, NOTE];
const FAILING_CASE = 'log-spec-failing-case';

/** The embedded store, except that appending to one case fails with a message quoting the NIK. */
class FailingStore extends EventStoreDecorator {
  override append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (streamId === `case-${FAILING_CASE}`) return Promise.reject(new Error(`UNIQUE constraint failed: subjects.nik = '${SAMPLE_NIK}'`));
    return super.append(streamId, events, options);
  }
}

const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
let t: TestApp;
let eventsDir: string;

beforeAll(async () => {
  eventsDir = mkdtempSync(join(tmpdir(), 'rujukan-logging-'));
  t = await TestApp.start({
    eventStore: new FailingStore(new SqliteEventStore(join(eventsDir, 'events.sqlite'))),
    environment: { LOG_LEVEL: 'debug' },
    logStream: {
      write: (line) => {
        raw.push(line);
        lines.push(JSON.parse(line));
      },
    },
  });
});
afterAll(async () => {
  await t.stop();
  rmSync(eventsDir, { recursive: true, force: true });
});

const subject = { name: NAME, nik: SAMPLE_NIK, address: ADDRESS, phone: PHONE, regionCode: '33.71.01.1008' };
const caseBody = (overrides: Record<string, unknown> = {}) => ({
  networkId: NETWORK, subject, categories: ['PPKS-01'], urgency: 'high', description: `${NAME} lives alone`, ...overrides,
});

describe('a flow with personal data, logged at debug', () => {
  const responses: Response[] = [];
  let failed: Response;

  beforeAll(async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const send = async (pending: Promise<Response>) => {
      const response = await pending;
      responses.push(response);
      return response;
    };
    const opened = await send(t.post('/cases', owner, caseBody()));
    expect(opened.status).toBe(201);
    expect((await send(t.get(`/cases/${opened.body.id}`, owner))).status).toBe(200);
    // A query string may carry anything: request logs keep the path only.
    expect((await send(t.get(`/cases?networkId=${NETWORK}&nik=${SAMPLE_NIK}`, owner))).status).toBeLessThan(500);
    expect((await send(t.post(`/cases/${opened.body.id}/notes`, owner, { text: NOTE, visibility: 'participants' }))).status).toBe(201);
    expect((await send(t.post('/cases', owner, caseBody({ subject: { ...subject, nik: `${SAMPLE_NIK}9` } })))).status).toBe(422);
    expect((await send(t.request('POST', '/cases', { token: owner, rawBody: `{"subject":{"name":"${NAME}","nik":"${SAMPLE_NIK}"` }))).status).toBe(400);
    failed = await send(t.post('/cases', owner, caseBody({ id: FAILING_CASE })));
  });

  it('answers an internal error with a generic problem naming only the request id', () => {
    expect(failed.status).toBe(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    const id = failed.headers['x-request-id'];
    expect(failed.body).toEqual({ type: '/problems/internal', title: 'Internal error', status: 500, detail: expect.stringContaining(`request id ${id}`) });
    expect(JSON.stringify(failed.body)).not.toMatch(/UNIQUE|constraint|subjects|\bat |\.ts:\d+|\.js:\d+/);
  });

  it('logs the internal error by name and stack frames, with its request id, without its message', () => {
    const logged = lines.filter((line) => line['level'] === 50);
    expect(logged).toEqual([expect.objectContaining({ context: 'HTTP', reqId: failed.headers['x-request-id'], msg: 'Error', stack: expect.stringMatching(/^\s+at /) })]);
    expect(JSON.stringify(logged)).not.toMatch(/UNIQUE|constraint/);
  });

  it('writes no personal data into any log line', () => {
    expect(lines.length).toBeGreaterThan(2 * responses.length);
    for (const value of PERSONAL) expect(raw.filter((line) => line.includes(value))).toEqual([]);
  });

  it('tags every request log line with the id the response carried', () => {
    const requestLines = lines.filter((line) => 'req' in line || 'res' in line);
    expect(requestLines.length).toBeGreaterThanOrEqual(2 * responses.length);
    for (const line of requestLines) expect(line['reqId']).toEqual(expect.any(String));
    for (const response of responses) {
      const id = response.headers['x-request-id'];
      expect(lines.filter((line) => line['reqId'] === id).map((line) => line['msg'])).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    }
  });

  it('exposes no personal data in /metrics', async () => {
    const metrics = await t.app.inject({ url: '/api/v1/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/rujukan_http_requests_total\{[^}]*route="\/api\/v1\/cases\/:id"/);
    for (const value of PERSONAL) expect(metrics.body).not.toContain(value);
  });
});
