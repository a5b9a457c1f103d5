/**
 * Specs that need a server run whenever it is reachable, and say plainly in the run when they did not
 * and why. `.ci/run` starts FerretDB (a MongoDB wire-protocol server) and sets MONGODB_URL.
 */
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
    return { url, skipReason: null };
  } catch (error) {
    return { url: null, skipReason: `MONGODB_URL=${url} is not reachable: ${(error as Error).message}` };
  } finally {
    await client.close();
  }
}

const SKIP_REASON = 'RUJUKAN_MONGODB_SKIP_REASON';

/** Jest global setup: probes once per run, so every spec file agrees and the reason is printed once. */
export default async function globalSetup(): Promise<void> {
  const probe = await probeMongo();
  if (probe.skipReason === null) {
    console.log(`\nMongoDB-protocol specs run against ${probe.url}`);
    delete process.env[SKIP_REASON];
  } else {
    console.log(`\nMongoDB-protocol specs will NOT run: ${probe.skipReason}`);
    process.env[SKIP_REASON] = probe.skipReason;
  }
}

/** The URL of the MongoDB-protocol server for specs, or null with the reason they do not run. */
export function mongoForSpecs(): ServerProbe {
  const skipReason = process.env[SKIP_REASON] ?? null;
  return skipReason === null ? { url: process.env['MONGODB_URL'] ?? null, skipReason } : { url: null, skipReason };
}

/** A describe block that runs only with a reachable server; otherwise one visible line says why. */
export function describeWithServer(title: string, skipReason: string | null, body: () => void): void {
  if (skipReason === null) {
    describe(title, body);
    return;
  }
  console.warn(`NOT RUN: ${title}: ${skipReason}`);
  // Reported by jest as skipped, with the reason in its name.
  describe.skip(`${title} (not run: ${skipReason})`, body);
}
