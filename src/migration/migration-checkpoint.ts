/**
 * Where a migration got to: the last source position whose event is in the target, kept in a small JSON
 * file beside the source log. It only saves work: a stale checkpoint makes a rerun re-send events the target
 * already holds, which are no-ops, so the file is replaced atomically (temporary file, then rename) but not
 * fsynced.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface MigrationCheckpoint {
  /** The last source position copied, or null to start from the beginning. */
  load(): Promise<bigint | null>;
  save(position: bigint): Promise<void>;
}

interface CheckpointFile {
  /** A fingerprint of the target's connection string (which may hold a password): another target starts over. */
  readonly target: string;
  readonly position: string;
  readonly updatedAt: string;
}

export function fileCheckpoint(file: string, target: string): MigrationCheckpoint {
  const fingerprint = createHash('sha256').update(target).digest('hex').slice(0, 16);
  return {
    async load() {
      if (!existsSync(file)) return null;
      let saved: CheckpointFile;
      try {
        saved = JSON.parse(readFileSync(file, 'utf8')) as CheckpointFile;
      } catch (error) {
        throw new Error(`The migration checkpoint ${file} is unreadable (${(error as Error).message}); delete it to copy from the start (safe: re-sending events the target holds changes nothing)`);
      }
      return saved.target === fingerprint ? BigInt(saved.position) : null;
    },
    async save(position) {
      const saved: CheckpointFile = { target: fingerprint, position: String(position), updatedAt: new Date().toISOString() };
      writeFileSync(`${file}.tmp`, `${JSON.stringify(saved)}\n`);
      renameSync(`${file}.tmp`, file);
    },
  };
}
