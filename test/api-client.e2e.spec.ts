/**
 * The typed client in client/ is generated from the document the server serves. If a route, a body or a
 * response changes without `npm run api:generate`, this fails: the client (and the console built on it)
 * can never silently drift from the server.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestApp } from './support/test-app.js';

const root = join(__dirname, '..');
const REGENERATE = 'The API changed: run `npm run api:generate` and commit client/.';

describe('the typed client in client/', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.stop());

  it('was generated from the document the server serves', async () => {
    const served = await app.app.inject({ method: 'GET', url: '/docs/openapi.json' });
    const committed = JSON.parse(readFileSync(join(root, 'client/openapi.json'), 'utf8'));
    expect({ document: JSON.parse(served.body), hint: REGENERATE }).toEqual({ document: committed, hint: REGENERATE });
  });

  it('has types that openapi-typescript generates from that document', async () => {
    const check = promisify(execFile)(process.execPath, [
      join(root, 'node_modules/openapi-typescript/bin/cli.js'), 'client/openapi.json', '--output', 'client/schema.ts', '--default-non-nullable=false', '--check',
    ], { cwd: root });
    await expect(check.then(() => 'up to date', () => REGENERATE)).resolves.toBe('up to date');
  });
});
