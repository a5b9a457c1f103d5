/**
 * What `projections rebuild` and `projections verify` share: the projections an optional name picks, and a
 * bar of log positions while one is built.
 */
import { MultiBar, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { Projection } from '../projections/projection.js';
import { PROJECTIONS } from '../projections/projections.service.js';
import type { RebuildProgress } from '../projections/rebuild.js';

export const PROJECTION_NAME_HELP = `one projection (${PROJECTIONS.map(({ name }) => name).join(', ')}); all when omitted`;

/** Every projection, or the one named; an unknown name ends the program with the known ones. */
export function chosenProjections(program: Command, name: string | undefined): readonly Projection[] {
  const chosen = name === undefined ? PROJECTIONS : PROJECTIONS.filter((projection) => projection.name === name);
  if (chosen.length === 0) program.error(`no projection named ${name}; known: ${PROJECTIONS.map((projection) => projection.name).join(', ')}`);
  return chosen;
}

/** Runs `work` under a bar of the log positions it has built. */
export async function withPositionBar<T>(projection: Projection, work: (onProgress: (progress: RebuildProgress) => void) => Promise<T>): Promise<T> {
  const bar = new SingleBar({ format: `${projection.name.padEnd(14)} [{bar}] {percentage}% | position {value}/{total}`, hideCursor: true });
  bar.start(1, 0);
  try {
    return await work(({ applied, head }) => {
      bar.setTotal(Math.max(1, Number(head)));
      bar.update(Number(applied));
    });
  } finally {
    bar.stop();
  }
}

/** Runs `work` under one bar of log positions per projection (built together, `projections rebuild` of all). */
export async function withPositionBars<T>(
  projections: readonly Projection[],
  work: (onProgress: (projection: Projection, progress: RebuildProgress) => void) => Promise<T>,
): Promise<T> {
  const bars = new MultiBar({ format: '{name} [{bar}] {percentage}% | position {value}/{total}', hideCursor: true });
  const byProjection = new Map(projections.map((projection) => [projection, bars.create(1, 0, { name: projection.name.padEnd(21) })]));
  try {
    return await work((projection, { applied, head }) => {
      const bar = byProjection.get(projection);
      bar?.setTotal(Math.max(1, Number(head)));
      bar?.update(Number(applied));
    });
  } finally {
    bars.stop();
  }
}
