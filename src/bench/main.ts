/** `npm run bench`: prints throughput figures for the stores. */
import { benchEventStore } from './event-store.bench.js';

await benchEventStore();
