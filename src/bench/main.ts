/** `npm run bench`: throughput figures and ratios for the event store and the HTTP command path. */
import 'reflect-metadata';
import { benchEventStore } from './event-store.bench.js';
import { benchHttp } from './http.bench.js';

await benchEventStore();
await benchHttp();
