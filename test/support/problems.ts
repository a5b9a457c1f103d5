/** What every error response of the API must look like: an RFC 9457 problem naming the fields at fault, nothing internal. */
import type { Response } from './test-app.js';

const PROBLEM_MEMBERS = ['detail', 'errors', 'status', 'title', 'type'];
/** Traces of internals: stack frames, source files, SQL, Fastify's error codes. */
export const INTERNALS = /\n\s+at |\bat .+:\d+:\d+|\.[jt]s:\d+|node_modules|sqlite|\bSELECT\b|\bINSERT\b|\bno such (table|column)\b|FST_ERR|\w+Error\b/i;

/** A problem response with this status and only the RFC 9457 members; `fields` are the offending fields, in order. */
export function expectProblem(response: Response, status: number, fields?: readonly string[]): void {
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { status } });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(response.body).toEqual(expect.objectContaining({
    type: expect.stringMatching(/^\/problems\/[a-z-]+$/), title: expect.stringMatching(/\w/), detail: expect.stringMatching(/\w/),
  }));
  expect(Object.keys(response.body).filter((member) => !PROBLEM_MEMBERS.includes(member))).toEqual([]);
  expect(JSON.stringify(response.body)).not.toMatch(INTERNALS);
  if (fields !== undefined) {
    expect(response.body.errors).toEqual(fields.map((field) => ({ field, message: expect.stringMatching(/\w/) })));
  }
}
