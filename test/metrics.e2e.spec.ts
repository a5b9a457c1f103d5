/** /metrics: Prometheus text with route templates and projection lag, and nothing personal. */
import { TestApp } from './support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.start();
});
afterAll(() => t.stop());

it('counts requests by route template and reports each projection, with no id or name in any label', async () => {
  const owner = await t.token({ role: 'caseworker', institutionId: 'rw-03-jurangombo-utara' });
  const opened = await t.post('/cases', owner, {
    networkId: 'wksbm-jurangombo-utara', subject: { name: 'Rahayu Ningsih', nik: '3371016505800003', regionCode: '33.71.01.1008' },
    categories: ['PPKS-24'], urgency: 'low', description: 'Tinggal sendiri',
  });
  const caseId = opened.body.id as string;
  expect((await t.get(`/cases/${caseId}`, owner)).status).toBe(200);
  expect((await t.get('/cases/does-not-exist', owner)).status).toBe(404);

  const response = await t.app.inject({ method: 'GET', url: '/api/v1/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  const text = response.body;
  expect(text).toMatch(/rujukan_http_requests_total\{method="POST",route="\/api\/v1\/cases",status="201"\} 1/);
  expect(text).toMatch(/rujukan_http_requests_total\{method="GET",route="\/api\/v1\/cases\/:id",status="200"\} 1/);
  expect(text).toMatch(/rujukan_http_requests_total\{method="GET",route="\/api\/v1\/cases\/:id",status="404"\} 1/);
  for (const projection of ['directory', 'case-summaries', 'analytics']) {
    expect(text).toContain(`rujukan_projection_running{projection="${projection}"} 1`);
    expect(text).toMatch(new RegExp(`rujukan_projection_events_behind\\{projection="${projection}"\\} 0`));
  }
  for (const secret of [caseId, 'does-not-exist', 'Rahayu', '3371016505800003', 'Tinggal']) expect(text).not.toContain(secret);
});
