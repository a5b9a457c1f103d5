/** `npm run bench`: throughput figures and ratios for the event store, the auditor's reads and the HTTP command path. */
import 'reflect-metadata';
import { benchAudit } from './audit.bench.js';
import { benchEventStore } from './event-store.bench.js';
import { benchHttp } from './http.bench.js';

await benchEventStore();
await benchAudit();
await benchHttp();
