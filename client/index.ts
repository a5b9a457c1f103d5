/**
 * The typed client of the Rujukan API, generated from its OpenAPI document (`client/openapi.json`, written by
 * `npm run api:generate` from what the server serves). Request bodies, query parameters, path parameters and
 * responses are typed by route, so a change of the API that breaks a caller fails its type check. The
 * console and the end-to-end tests use it; integrators may copy this folder or generate their own client
 * from `openapi.json`.
 */
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };

/** A client for one server: `createRujukanClient({ baseUrl: 'https://rujukan.example.go.id' })`. */
export function createRujukanClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}

export type RujukanClient = ReturnType<typeof createRujukanClient>;
