/**
 * Specs that need a server run whenever it is reachable, and say plainly in the run when they did not
 * and why. `.ci/run` starts FerretDB (a MongoDB wire-protocol server) and sets MONGODB_URL. No
 * EventStoreDB server runs here: its adapter's specs always run against the gRPC test double, and also
 * against a real server when EVENTSTORE_URL points at one.
 */
import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';

export interface ServerProbe {
  readonly url: string | null;
  /** Why the specs that need it do not run, or null when they do. */
  readonly skipReason: string | null;
}

export async function probeMongo(): Promise<ServerProbe> {
  const url = process.env['MONGODB_URL'];
  if (!url) return { url: null, skipReason: 'MONGODB_URL is not set (run `scripts/ferretdb.sh start` and export what it prints)' };
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    // FerretDB says who it is in buildInfo: specs that need MongoDB itself (its query planner) skip it, saying so.
    process.env[FERRETDB] = 'ferretdbVersion' in (await client.db('admin').command({ buildInfo: 1 })) ? '1' : '';
    return { url, skipReason: null };
  } catch (error) {
    return { url: null, skipReason: `MONGODB_URL=${url} is not reachable: ${(error as Error).message}` };
  } finally {
    await client.close();
  }
}

export async function probeEventStoreDb(): Promise<ServerProbe> {
  const url = process.env['EVENTSTORE_URL'];
  if (!url) return { url: null, skipReason: 'EVENTSTORE_URL is not set (no EventStoreDB server can run on this machine; the test double stands in)' };
  let client: EventStoreDBClient | undefined;
  try {
    client = EventStoreDBClient.connectionString(url);
    for await (const _event of client.readAll({ fromPosition: START, direction: FORWARDS, maxCount: 1, deadline: 2_000 })) break;
    return { url, skipReason: null };
  } catch (error) {
    return { url: null, skipReason: `EVENTSTORE_URL=${url} is not reachable: ${(error as Error).message}` };
  } finally {
    await client?.dispose();
  }
}

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), driven by playwright-core: never a browser download. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export async function probeChromium(): Promise<ServerProbe> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  if (!existsSync(CHROMIUM_PATH)) return { url: null, skipReason: `no browser at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)` };
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'console', 'index.html'))) return { url: null, skipReason: 'the console is not built (npm run build; npm test does it)' };
  return { url: CHROMIUM_PATH, skipReason: null };
}

const SKIP_REASON = 'RUJUKAN_MONGODB_SKIP_REASON';
const BROWSER_SKIP_REASON = 'RUJUKAN_BROWSER_SKIP_REASON';
const FERRETDB = 'RUJUKAN_MONGODB_IS_FERRETDB';

/** The MongoDB-protocol server of this run is FerretDB, not MongoDB (known once the global setup probed it). */
export const mongoIsFerretDb = (): boolean => process.env[FERRETDB] === '1';
const EVENTSTORE_SKIP_REASON = 'RUJUKAN_EVENTSTORE_SKIP_REASON';

/** Jest global setup: probes once per run, so every spec file agrees and the reason is printed once. */
export default async function globalSetup(): Promise<void> {
  for (const [label, probe, variable] of [
    ['MongoDB-protocol specs', await probeMongo(), SKIP_REASON],
    ['EventStoreDB specs against a real server', await probeEventStoreDb(), EVENTSTORE_SKIP_REASON],
    ['Browser specs of the console', await probeChromium(), BROWSER_SKIP_REASON],
  ] as const) {
    if (probe.skipReason === null) {
      console.log(`\n${label} run against ${probe.url}`);
      delete process.env[variable];
    } else {
      console.log(`\n${label} will NOT run: ${probe.skipReason}`);
      process.env[variable] = probe.skipReason;
    }
  }
}

/** The URL of the MongoDB-protocol server for specs, or null with the reason they do not run. */
export function mongoForSpecs(): ServerProbe {
  const skipReason = process.env[SKIP_REASON] ?? null;
  return skipReason === null ? { url: process.env['MONGODB_URL'] ?? null, skipReason } : { url: null, skipReason };
}

/** The URL of a real EventStoreDB (or KurrentDB) server for specs, or null with the reason they do not run. */
export function eventStoreDbForSpecs(): ServerProbe {
  const skipReason = process.env[EVENTSTORE_SKIP_REASON] ?? null;
  return skipReason === null ? { url: process.env['EVENTSTORE_URL'] ?? null, skipReason } : { url: null, skipReason };
}

/** Debian's Chromium for the console's browser specs, or null with the reason they do not run. */
export function browserForSpecs(): ServerProbe {
  const skipReason = process.env[BROWSER_SKIP_REASON] ?? null;
  return skipReason === null ? { url: CHROMIUM_PATH, skipReason } : { url: null, skipReason };
}

/** A describe block that runs only with a reachable server; otherwise one visible line says why. */
export function describeWithServer(title: string, skipReason: string | null, body: () => void): void {
  if (skipReason === null) {
    describe(title, body);
    return;
  }
  // One plain line in the run (console.warn would add a code frame), and jest lists the skipped tests with the
  // reason in their name.
  process.stderr.write(`NOT RUN: ${title}: ${skipReason}\n`);
  describe.skip(`${title} (not run: ${skipReason})`, body);
}
